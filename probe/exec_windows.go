package probe

import (
	"context"
	"os/exec"
	"strconv"
	"syscall"
)

// newCommand makes argv's process; its cancellation kills its whole tree.
func newCommand(ctx context.Context, argv []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Cancel = func() error {
		return exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid)).Run()
	}
	return cmd
}

// shellCommand runs a command line with cmd.exe /S /C, the line passed as
// it is: Go's escaping of arguments (\" for ") is not cmd.exe's, and would
// mangle `-c "dumpheap -stat"`.
func shellCommand(ctx context.Context, line string) *exec.Cmd {
	cmd := newCommand(ctx, []string{"cmd.exe"})
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: `cmd.exe /S /C "` + line + `"`}
	return cmd
}

// reap has nothing to do: taskkill /T at cancellation is the only tree
// kill there is without a job object.
func reap(*exec.Cmd) {}
