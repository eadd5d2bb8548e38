package runner

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Command makes a target of one process per op, the seed's -z code
// segment: name with args, run to its end. A non-zero exit is an op error
// carrying the end of its stderr; the context kills the process.
func Command(name string, args ...string) Target {
	return &commandTarget{name: name, args: args}
}

type commandTarget struct {
	name string
	args []string
}

func (c *commandTarget) String() string {
	return strings.Join(append([]string{c.name}, c.args...), " ")
}

func (c *commandTarget) Op(ctx context.Context, i int) error {
	cmd := exec.CommandContext(ctx, c.name, c.args...)
	var stderr tailWriter
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(string(stderr.b))
		if len(tail) > 200 {
			tail = "…" + tail[len(tail)-200:]
		}
		if tail != "" {
			return fmt.Errorf("%s: %w: %s", c.name, err, tail)
		}
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// tailWriter keeps the last 4 KiB written to it: a command's stderr may be
// endless, and only its end is shown.
type tailWriter struct{ b []byte }

const tailMax = 4 << 10

func (t *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= tailMax {
		t.b = append(t.b[:0], p[len(p)-tailMax:]...)
		return n, nil
	}
	if over := len(t.b) + len(p) - tailMax; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	t.b = append(t.b, p...)
	return n, nil
}
