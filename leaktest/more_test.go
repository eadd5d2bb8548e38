package leaktest_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

func TestFailureMessageCapsBlocksWithAndNMore(t *testing.T) {
	var mu sync.Mutex
	held := make([]*[16]byte, 0, 1<<15)
	rep, err := leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
		p := allocSite(i % 12) // twelve allocation sites, all leaking
		mu.Lock()
		held = append(held, p)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	sites := map[string]bool{}
	for _, v := range rep.Leaks() {
		sites[v.Symbol.Site()] = true
	}
	if len(sites) < 12 {
		t.Fatalf("%d leaking sites, want ≥ 12:\n%s", len(sites), rep)
	}
	msg := rep.String()
	m := regexp.MustCompile(`\.\.\. and (\d+) more \(all in the JSON report\)`).FindStringSubmatch(msg)
	if m == nil || m[1] != strconv.Itoa(len(sites)-8) {
		t.Errorf("want \"... and %d more\" after 8 blocks:\n%s", len(sites)-8, msg)
	}
	if n := strings.Count(msg, "\n    slope   "); n != 8 {
		t.Errorf("%d blocks shown, want 8", n)
	}
}

// Runs are serialized: a leaky and a clean check started together each
// get their own verdict, the clean one seeing none of the leaky one's
// allocations.
func TestConcurrentChecksAreSerialized(t *testing.T) {
	var wg sync.WaitGroup
	var leaky, clean *leaktest.Report
	var mu sync.Mutex
	var held [][]byte
	wg.Add(2)
	go func() {
		defer wg.Done()
		leaky, _ = leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error {
			b := make([]byte, 40)
			mu.Lock()
			held = append(held, b)
			mu.Unlock()
			return nil
		}), leaktest.Name("concurrent-leaky"))
	}()
	go func() {
		defer wg.Done()
		clean, _ = leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }), leaktest.Name("concurrent-clean"))
	}()
	wg.Wait()
	if leaky == nil || !leaky.Failed() {
		t.Errorf("leaky run: %v", leaky)
	}
	if clean == nil || clean.Failed() {
		t.Errorf("clean run saw a leak:\n%s", clean)
	}
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	_, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }),
		leaktest.Progress(&buf), leaktest.Name("progress"))
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !regexp.MustCompile(`(?m)^leaktest: progress: [0-9,]+ ops, [0-9.]+m?s, [0-9]+ snapshots, `).MatchString(out) {
		t.Errorf("progress lines not in the expected form:\n%s", out)
	}
	for _, want := range []string{" snapshots, need 10,000 ops after warm-up before deciding", " of ", " symbols undecided"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
}
