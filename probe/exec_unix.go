//go:build unix

package probe

import (
	"os/exec"
	"syscall"
)

// inGroup starts cmd in a process group of its own and makes its
// cancellation kill the group: a shell's children (dotnet-dump under
// `sh -c`) die with it rather than hold the snapshot.
func inGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// shell is how Histogram runs its command line.
var shell = []string{"/bin/sh", "-c"}
