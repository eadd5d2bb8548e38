package leaktest

import "os"

var exit = os.Exit
