// flagprog is a program, not a test, that imports leaktest: it prints
// whether leaktest's flags are on its flag set (they must not be).
package main

import (
	"flag"
	"fmt"

	"github.com/leakslope/leakslope/leaktest"
)

func main() {
	_ = leaktest.DefaultMinOps
	fmt.Println(flag.Lookup("leakslope.max-duration") != nil)
}
