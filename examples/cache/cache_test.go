package cache_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/examples/cache"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// Optional: every allocation is then recorded from the very start, so the
// first/last heap profiles account exactly for package initialization too.
func TestMain(m *testing.M) { leaktest.Main(m) }

func load(key string) []byte { return []byte("value of " + key) }

// The fixed cache holds at most 1,000 entries: it fills during the run,
// then stays flat, and the check passes.
func TestCacheDoesNotLeak(t *testing.T) {
	c := cache.New(1000, load)
	leaktest.Check(t, runner.Func(func(ctx context.Context, i int) error {
		c.Get(fmt.Sprintf("request-%d", i)) // a key never seen before
		return nil
	}))
}

// A gauge watches a value of yours too: the cache's length may not grow.
func TestCacheLengthIsBounded(t *testing.T) {
	c := cache.New(1000, load)
	leaktest.Check(t, runner.Func(func(ctx context.Context, i int) error {
		c.Get(fmt.Sprintf("request-%d", i))
		return nil
	}), leaktest.WithProbes(leaktest.Gauge("cache.len", func() float64 { return float64(c.Len()) })))
}

// The leaky cache fails its check. Run with LEAKSLOPE_DEMO=1 to see the
// failure as your test would show it; by default this test checks that it
// is caught, through a recorder standing in for t.
func TestLeakyCache(t *testing.T) {
	var tb leaktest.TB = t
	rec := &recorder{TB: t}
	if os.Getenv("LEAKSLOPE_DEMO") == "" {
		tb = rec
	}
	c := cache.NewLeaky(load)
	rep := leaktest.Check(tb, runner.Func(func(ctx context.Context, i int) error {
		c.Get(fmt.Sprintf("request-%d", i))
		return nil
	}))
	if tb == rec {
		if !rep.Failed() || len(rec.errors) != 1 {
			t.Fatalf("the leaky cache was not caught:\n%s", rep)
		}
		// What the cache holds leaks: the loaded values (charged to load,
		// with LeakyCache.Get on their stack) and the keys.
		for _, want := range []string{"heap.bytes:cache_test.load cache_test.go:", "examples/cache.(*LeakyCache).Get\n"} {
			if !strings.Contains(rec.errors[0], want) {
				t.Errorf("the failure lacks %q:\n%s", want, rec.errors[0])
			}
		}
	}
}

// recorder keeps what Check says instead of failing the test.
type recorder struct {
	leaktest.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
