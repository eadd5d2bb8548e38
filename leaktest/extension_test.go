package leaktest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// ownProbe is a probe written as a user would, with leaktest's exported
// API alone: it reads own.leak (a count the target grows) and own.flat
// (a constant), and implements Starter, Describer, Profiler and Warner,
// logging each call.
type ownProbe struct {
	name     string
	leaked   *atomic.Int64
	startErr error

	mu    sync.Mutex
	calls []string
	takes int
	first int // the take KeepFirst kept
}

func (p *ownProbe) log(call string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, call)
}

func (p *ownProbe) Name() string { return p.name }

func (p *ownProbe) Take(context.Context) ([]leaktest.Sample, error) {
	p.mu.Lock()
	p.takes++
	p.mu.Unlock()
	p.log("take")
	return []leaktest.Sample{{Symbol: "own.leak", Value: float64(p.leaked.Load())}, {Symbol: "own.flat", Value: 64}}, nil
}

func (p *ownProbe) Start(context.Context) error { p.log("start"); return p.startErr }
func (p *ownProbe) Stop()                       { p.log("stop") }

func (p *ownProbe) Describe(sym leaktest.Symbol) (leaktest.Origin, bool) {
	if sym != "own.leak" {
		return leaktest.Origin{}, false
	}
	return leaktest.Origin{Func: "own.(*Conn).Open", Site: "conn.go:7", Stack: []string{"example.com/own.(*Conn).Open\n\t/src/own/conn.go:7"}, UserCode: true}, true
}

func (p *ownProbe) KeepFirst() {
	p.mu.Lock()
	p.first = p.takes
	p.mu.Unlock()
	p.log("keep")
}

func (p *ownProbe) Profiles() (first, last []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Appendf(nil, "profile of take %d", p.first), fmt.Appendf(nil, "profile of take %d", p.takes)
}

func (p *ownProbe) Warnings(rep *leaktest.Report) []string {
	p.log("warnings")
	return []string{fmt.Sprintf("%s: %d verdicts, %d leaking", p.name, len(rep.Verdicts), len(rep.Leaks()))}
}

// sampledProbe is ownProbe whose values are sampled: a flat series of it
// rules out no growth under its resolution.
type sampledProbe struct{ *ownProbe }

func (sampledProbe) Resolution(sym leaktest.Symbol, span float64) float64 {
	if sym != "own.flat" {
		return 0
	}
	return 1000 / span
}

func ownRun(t *testing.T, p leaktest.Probe, leaked *atomic.Int64, opts ...leaktest.Option) (*leaktest.Report, error) {
	t.Helper()
	return leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		if i%10 == 0 {
			leaked.Add(1)
		}
		return nil
	}), append([]leaktest.Option{leaktest.WithProbes(p), leaktest.WithBudget("own.* <= 0/op"),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.ArtifactsDir(t.TempDir()), leaktest.MaxDuration(30 * time.Second), leaktest.UntilAllDecided()}, opts...)...)
}

// A probe written outside leakslope's packages has the powers of the
// built-in ones: it is started and stopped around the run, describes its
// symbols in the failure, gives the report its first and last profiles
// and warnings, and its sampling keeps a flat series from "within".
func TestAProbeOfItsOwnHasThePowersOfTheBuiltIns(t *testing.T) {
	var leaked atomic.Int64
	own := &ownProbe{name: "own", leaked: &leaked}
	rep, err := ownRun(t, own, &leaked)
	if err != nil {
		t.Fatal(err)
	}
	verdict := func(rep *leaktest.Report, sym leaktest.Symbol) leaktest.Verdict {
		for _, v := range rep.Verdicts {
			if v.Symbol == sym {
				return v
			}
		}
		t.Fatalf("no verdict for %s\n%s", sym, rep)
		return leaktest.Verdict{}
	}

	// Starter: once around every snapshot.
	calls := slices.Clone(own.calls)
	if len(calls) < 4 || calls[0] != "start" || calls[len(calls)-1] != "stop" || slices.Index(calls[1:], "start") >= 0 || slices.Index(calls[:len(calls)-1], "stop") >= 0 {
		t.Errorf("calls %v: want start, the takes, …, stop", calls)
	}
	// Describer: the origin is the verdict's, and the failure says it.
	leak := verdict(rep, "own.leak")
	if leak.Decision != leaktest.Leak || leak.Func != "own.(*Conn).Open" || leak.Site != "conn.go:7" || !leak.UserCode || len(leak.Stack) != 1 {
		t.Errorf("own.leak: %+v", leak)
	}
	if msg := rep.String(); !strings.Contains(msg, "own.(*Conn).Open") || !strings.Contains(msg, "conn.go:7") {
		t.Errorf("the failure does not name the origin:\n%s", msg)
	}
	// Profiler: KeepFirst once, after a take; its profiles are the report's.
	if n := strings.Count(strings.Join(calls, " "), "keep"); n != 1 || own.first < 1 {
		t.Errorf("KeepFirst called %d times, at take %d", n, own.first)
	}
	for key, want := range map[string]string{leaktest.ArtifactFirstProfile: fmt.Sprintf("profile of take %d", own.first), leaktest.ArtifactLastProfile: fmt.Sprintf("profile of take %d", own.takes)} {
		got, err := os.ReadFile(rep.Artifacts[key])
		if err != nil || string(got) != want {
			t.Errorf("artifact %s: %q, %v; want %q", key, got, err, want)
		}
	}
	// Warner: called once the verdicts are in; its warning is the report's.
	if !slices.Contains(rep.Warnings, "own: 2 verdicts, 1 leaking") || slices.Index(calls, "warnings") < slices.Index(calls, "keep") {
		t.Errorf("warnings %q, calls %v", rep.Warnings, calls)
	}
	// Without sampling, the flat series is within; with it, it is not.
	if v := verdict(rep, "own.flat"); v.Decision != leaktest.Within || v.Trend.Resolution != 0 {
		t.Errorf("own.flat, exact: %+v", v)
	}
	leaked.Store(0)
	rep, err = ownRun(t, sampledProbe{&ownProbe{name: "sampled", leaked: &leaked}}, &leaked, leaktest.MaxDuration(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if v := verdict(rep, "own.flat"); v.Decision != leaktest.Undecided || v.Trend.Resolution <= 0 {
		t.Errorf("own.flat, sampled: %+v", v)
	}
}

// A probe that cannot start ends the run before it begins, with an error
// naming it; the probes started before it are stopped, and nothing is
// taken. Watch starts and stops its probes too.
func TestAProbeThatCannotStart(t *testing.T) {
	var leaked atomic.Int64
	ok := &ownProbe{name: "first", leaked: &leaked}
	bad := &ownProbe{name: "second", leaked: &leaked, startErr: errors.New("no connection")}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }),
		leaktest.WithProbes(ok, bad), leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources())
	if err == nil || rep != nil || err.Error() != "leaktest: probe second: no connection" {
		t.Fatalf("err = %v, report %v", err, rep)
	}
	if !slices.Equal(ok.calls, []string{"start", "stop"}) || !slices.Equal(bad.calls, []string{"start"}) {
		t.Errorf("calls: first %v, second %v", ok.calls, bad.calls)
	}

	w := &ownProbe{name: "watched", leaked: &leaked}
	if _, err := leaktest.Watch(context.Background(), leaktest.WithProbes(w), leaktest.Interval(20*time.Millisecond),
		leaktest.MaxDuration(200*time.Millisecond), leaktest.ArtifactsDir(t.TempDir())); err != nil {
		t.Fatal(err)
	}
	if c := w.calls; len(c) < 3 || c[0] != "start" || c[len(c)-1] != "stop" || strings.Count(strings.Join(c, " "), "start") != 1 {
		t.Errorf("watch calls %v", c)
	}
}

// Two probes that give one symbol would be summed into nonsense: the run
// stops at its first snapshot, naming both.
func TestTwoProbesOfOneSymbolAreAnError(t *testing.T) {
	var leaked atomic.Int64
	a, b := &ownProbe{name: "a", leaked: &leaked}, &ownProbe{name: "b", leaked: &leaked}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }),
		leaktest.WithProbes(a, b), leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.ArtifactsDir(t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), "probes a and b both give own.leak: leave one out") || rep == nil || rep.Stopped != leaktest.StopError || rep.Ops != 0 {
		t.Errorf("err = %v, report %v", err, rep)
	}
}
