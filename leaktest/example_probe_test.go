package leaktest_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// Pool is a system of one's own: a connection pool whose Get forgets to
// give every tenth connection back.
type Pool struct {
	mu   sync.Mutex
	open int
	Max  int
}

func (p *Pool) Do(i int) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.open >= p.Max {
		return fmt.Errorf("pool: all %d connections in use", p.Max)
	}
	if i%10 == 0 {
		p.open++ // taken and never given back
	}
	return nil
}

func (p *Pool) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// poolProbe reads the pool's open connections, as a probe of a database's
// connection count or a Redis INFO would. Besides Probe it implements
// Describer (where the symbol comes from, for the failure message) and
// Limiter (the pool's size, which a leak runs into); Starter, Sampler,
// Profiler and Warner are there for the rest.
type poolProbe struct{ pool *Pool }

const symConns = leaktest.Symbol("pool.conns")

func (p poolProbe) Name() string { return "pool" }

func (p poolProbe) Take(ctx context.Context) ([]leaktest.Sample, error) {
	return []leaktest.Sample{{Symbol: symConns, Value: float64(p.pool.Open())}}, nil
}

func (p poolProbe) Describe(sym leaktest.Symbol) (leaktest.Origin, bool) {
	if sym != symConns {
		return leaktest.Origin{}, false
	}
	return leaktest.Origin{Func: "leaktest_test.(*Pool).Do", Site: "example_probe_test.go:27", UserCode: true}, true
}

func (p poolProbe) Limits() map[leaktest.Symbol]leaktest.Limit {
	return map[leaktest.Symbol]leaktest.Limit{symConns: {Value: float64(p.pool.Max), Name: "pool size"}}
}

// A probe of your own has the powers of the built-in ones: here its
// limit ends the run when the pool runs low (MinOps is far off, so no
// trend is looked at before), the growth up to there is the leak, and
// the failure leads with what broke.
func Example_probe() {
	pool := &Pool{Max: 500}
	rep, err := leaktest.Run(context.Background(),
		runner.Func(func(ctx context.Context, i int) error { return pool.Do(i) }),
		leaktest.WithProbes(poolProbe{pool}), leaktest.WithBudget("pool.conns <= 0/op"),
		leaktest.MinOps(1_000_000), leaktest.SnapshotEvery(500),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources())
	if err != nil {
		fmt.Println(err)
		return
	}
	brk, v := rep.Broken, rep.Leaks()[0]
	fmt.Println(rep.Stopped, "by", brk.LimitName, "at", brk.Value, "of", brk.Limit)
	fmt.Println(v.Symbol, v.Decision, v.Trend.PerOp, "per op at", v.Func, v.Site)
	// Output:
	// exhausted by pool size at 450 of 500
	// pool.conns leak 0.1 per op at leaktest_test.(*Pool).Do example_probe_test.go:27
}
