package leaktest_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/onsi/gomega/gleak/goroutine"

	"github.com/leakslope/leakslope/internal/stack"
	"github.com/leakslope/leakslope/leaktest"
)

func park(stop chan struct{}, n int, wg *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); <-stop }()
	}
}

// The fast counter and gleak's parser must agree on every creation site.
func TestGoroutineCounterAgreesWithGleak(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait() // gone before the next test counts goroutines
	defer close(stop)
	park(stop, 37, &wg)
	wg.Add(1)
	go func() { defer wg.Done(); <-stop }()
	p := leaktest.NewGoroutineProbe()
	// The two counts are taken one after the other: a goroutine of an
	// earlier test that starts or ends in between (a connection closing)
	// is seen by one only. Count again until the two agree; a counter
	// that is wrong never does.
	var got, want map[leaktest.Symbol]float64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, want = countBoth(t, p)
		if maps.Equal(got, want) || time.Now().After(deadline) {
			break
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d sites counted, gleak sees %d:\n got %v\nwant %v", len(got), len(want), got, want)
	}
	for sym, n := range want {
		if got[sym] != n {
			t.Errorf("%s: counted %g, gleak %g", sym, got[sym], n)
		}
	}
	var parked leaktest.Symbol
	for sym, n := range got {
		if n == 37 {
			parked = sym
		}
	}
	if parked == "" {
		t.Fatalf("no site with the 37 parked goroutines: %v", got)
	}
	o, ok := p.(leaktest.Describer).Describe(parked)
	if !ok || o.Func != "leaktest_test.park" || o.Site == "" || len(o.Stack) == 0 || !o.UserCode {
		t.Errorf("Describe = %+v %v", o, ok)
	}
}

// countBoth counts the goroutines by creation site with the probe, then
// with gleak's parser.
func countBoth(t *testing.T, p leaktest.Probe) (got, want map[leaktest.Symbol]float64) {
	t.Helper()
	samples, err := p.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got = map[leaktest.Symbol]float64{}
	for _, s := range samples {
		if s.Symbol.Kind() == leaktest.KindGoroutines {
			got[s.Symbol] = s.Value
		}
	}
	want = map[leaktest.Symbol]float64{}
	self := goroutine.Current().ID
	for _, g := range goroutine.Goroutines() {
		if g.ID == self || g.CreatorFunction == "" || stack.IsOwn(stack.Package(g.CreatorFunction)) {
			continue
		}
		want[leaktest.Symbol(fmt.Sprintf("%s:%s %s", leaktest.KindGoroutines, stack.ShortName(g.CreatorFunction), leaktest.BaseLocation(g.BornAt)))]++
	}
	return got, want
}
