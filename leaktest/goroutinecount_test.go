package leaktest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/onsi/gomega/gleak/goroutine"

	"github.com/leakslope/leakslope/internal/stack"
	"github.com/leakslope/leakslope/leaktest"
)

func park(stop chan struct{}, n int) {
	for i := 0; i < n; i++ {
		go func() { <-stop }()
	}
}

// The fast counter and gleak's parser must agree on every creation site.
func TestGoroutineCounterAgreesWithGleak(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	park(stop, 37)
	go func() { <-stop }()
	p := leaktest.NewGoroutineProbe()
	samples, err := p.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[leaktest.Symbol]float64{}
	for _, s := range samples {
		if s.Symbol.Kind() == leaktest.KindGoroutines {
			got[s.Symbol] = s.Value
		}
	}
	want := map[leaktest.Symbol]float64{}
	self := goroutine.Current().ID
	for _, g := range goroutine.Goroutines() {
		if g.ID == self || g.CreatorFunction == "" || stack.IsOwn(stack.Package(g.CreatorFunction)) {
			continue
		}
		want[leaktest.Symbol(fmt.Sprintf("%s:%s %s", leaktest.KindGoroutines, stack.ShortName(g.CreatorFunction), leaktest.BaseLocation(g.BornAt)))]++
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
