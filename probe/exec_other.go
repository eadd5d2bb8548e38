//go:build !unix && !windows

package probe

import (
	"context"
	"os/exec"
)

// newCommand makes argv's process; without process groups only it is
// killed on cancellation (WaitDelay bounds the wait for its children's
// output).
func newCommand(ctx context.Context, argv []string) *exec.Cmd {
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

// shellCommand runs a command line with sh -c.
func shellCommand(ctx context.Context, line string) *exec.Cmd {
	return newCommand(ctx, []string{"sh", "-c", line})
}

func reap(*exec.Cmd) {}
