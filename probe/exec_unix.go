//go:build unix

package probe

import (
	"context"
	"os/exec"
	"syscall"
)

// newCommand makes argv's process, in a process group of its own that its
// cancellation kills whole: a shell's children (dotnet-dump under sh -c)
// die with it rather than hold the snapshot.
func newCommand(ctx context.Context, argv []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	return cmd
}

// shellCommand runs a command line with sh -c.
func shellCommand(ctx context.Context, line string) *exec.Cmd {
	return newCommand(ctx, []string{"/bin/sh", "-c", line})
}

// reap kills what is left of a finished command's process group: a child
// it left running in the background.
func reap(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
