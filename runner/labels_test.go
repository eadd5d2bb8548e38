package runner_test

import (
	"bytes"
	"context"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/runner"
)

// TestOpsRunUnderTheRoundsLabels: the workers take the profiler labels of
// Round's context, and what an op starts inherits them — how the
// goroutine leak profile tells a run's goroutines from other code's. A
// round under other labels changes them; one under none clears them.
func TestOpsRunUnderTheRoundsLabels(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{}, 16)
	h := newHammer(t, runner.Func(func(ctx context.Context, i int) error {
		go func() { // an op's goroutine, left waiting
			started <- struct{}{}
			<-release
		}()
		<-started
		return nil
	}), runner.Config{Workers: 2, Jobs: 2})
	labels := func() string {
		var buf bytes.Buffer
		if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, block := range strings.Split(buf.String(), "\n\n") {
			if strings.Contains(block, "TestOpsRunUnderTheRoundsLabels.func1.1") {
				l := "none"
				if i := strings.Index(block, "# labels: "); i >= 0 {
					l, _, _ = strings.Cut(block[i+len("# labels: "):], "\n")
				}
				for _, line := range strings.Split(block, "\n") {
					if n, _, ok := strings.Cut(line, " @ "); ok {
						out = append(out, n+" "+l)
					}
				}
			}
		}
		slices.Sort(out)
		return strings.Join(out, "; ")
	}
	if err := h.Round(pprof.WithLabels(context.Background(), pprof.Labels("leakslope.run", "7"))); err != nil {
		t.Fatal(err)
	}
	// A goroutine caught between its send and its receive is a record of
	// its own for a moment: wait for them to settle.
	settled := func(want string) string {
		got := labels()
		for deadline := time.Now().Add(10 * time.Second); got != want && time.Now().Before(deadline); got = labels() {
			time.Sleep(time.Millisecond)
		}
		return got
	}
	if want, got := `2 {"leakslope.run":"7"}`, settled(`2 {"leakslope.run":"7"}`); got != want {
		t.Errorf("after a labelled round: %s, want %s", got, want)
	}
	if err := h.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want, got := `2 none; 2 {"leakslope.run":"7"}`, settled(`2 none; 2 {"leakslope.run":"7"}`); got != want {
		t.Errorf("after a round without labels: %s, want %s", got, want)
	}
}
