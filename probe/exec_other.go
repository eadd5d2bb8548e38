//go:build !unix

package probe

import (
	"os/exec"
	"runtime"
)

// inGroup leaves cmd as it is: without process groups only the command
// itself is killed on cancellation (WaitDelay bounds the wait for its
// children's output).
func inGroup(cmd *exec.Cmd) {}

// shell is how Histogram runs its command line.
var shell = func() []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd.exe", "/C"}
	}
	return []string{"sh", "-c"}
}()
