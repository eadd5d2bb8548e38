package matchers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/matchers"
	"github.com/leakslope/leakslope/runner"
)

// TestHaveNoLeaksAgainstABaseline: leaktest.Baseline passes through a
// matcher's options. UpdateBaseline writes the file; a target keeping
// twice as much, within its budget, fails the matcher with "was X, now
// Y"; a corrupt baseline is the matcher's error, naming the file.
func TestHaveNoLeaksAgainstABaseline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kept.baseline.json")
	var mu sync.Mutex
	var kept []*[16]byte
	keep := func(n int) runner.Target {
		return runner.Func(func(context.Context, int) error {
			mu.Lock()
			defer mu.Unlock()
			for range n {
				kept = append(kept, new([16]byte))
			}
			return nil
		})
	}
	opts := func(more ...leaktest.Option) []leaktest.Option {
		return append([]leaktest.Option{leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.WithoutHeldBy(),
			leaktest.WarmUp(100), leaktest.MinOps(2000), leaktest.MaxDuration(6 * time.Second),
			leaktest.WithBudget("heap.bytes:* <= 1KiB/op"), leaktest.WithBudget("heap.objects:* <= 10/op"),
			leaktest.ArtifactsDir(t.TempDir())}, more...)
	}
	if !match(t, matchers.HaveNoLeaks(opts(leaktest.Baseline(path), leaktest.UpdateBaseline())...), keep(1)) {
		t.Fatal("the update run failed")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no baseline written: %v", err)
	}
	m := matchers.HaveNoLeaks(opts(leaktest.Baseline(path))...)
	if match(t, m, keep(2)) {
		t.Fatal("twice the objects matched HaveNoLeaks against the baseline")
	}
	msg := m.FailureMessage(nil)
	if !strings.Contains(msg, "slopes credibly higher than the baseline") || !strings.Contains(msg, ", now ") || !strings.Contains(msg, ": was ") {
		t.Errorf("the failure does not say was X, now Y:\n%s", msg)
	}

	if err := os.WriteFile(path, []byte("{not a baseline"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := matchers.HaveNoLeaks(opts(leaktest.Baseline(path))...).Match(keep(1))
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a corrupt baseline: %v, want an error naming %s", err, path)
	}
}
