package leaktest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// histProbe is a Fleet and Historian of generated steps: gen(i) gives the
// samples of step i, history and live alike.
type histProbe struct {
	steps int
	step  time.Duration
	gen   func(i int) []Sample
	group func(Symbol) Symbol
	lims  map[Symbol]Limit
}

func (p *histProbe) Name() string                           { return "fake" }
func (p *histProbe) Take(context.Context) ([]Sample, error) { return p.gen(p.steps), nil }
func (p *histProbe) Limits() map[Symbol]Limit               { return p.lims }
func (p *histProbe) Group(s Symbol) Symbol {
	if p.group != nil {
		return p.group(s)
	}
	return s
}

func (p *histProbe) History(ctx context.Context, from, to time.Time, step time.Duration, add func(time.Time, []Sample) error) error {
	for i := 0; i < p.steps; i++ {
		at := from.Add(time.Duration(i) * p.step)
		if at.After(to) {
			break
		}
		if err := add(at, p.gen(i)); err != nil {
			return err
		}
	}
	return nil
}

func watchHistory(t *testing.T, p *histProbe, opts ...Option) *Report {
	t.Helper()
	rep, err := Watch(context.Background(), append([]Option{WithProbes(p), Since(time.Duration(p.steps) * p.step),
		Interval(p.step), MaxDuration(0), WithBudget("prom:* <= 1MiB/h"), ArtifactsDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatalf("watch: %v\n%s", err, rep)
	}
	return rep
}

// A group's series seen only at a history step that is not kept (a pod
// that lived between two kept points) has no column: the group is
// decided on the others.
func TestGroupMemberSeenOnlyBetweenKeptPoints(t *testing.T) {
	rep := watchHistory(t, &histProbe{steps: 400, step: time.Second, gen: func(i int) []Sample {
		s := []Sample{{"prom:a", 100 + float64(i%3)}}
		if i == 301 {
			s = append(s, Sample{"prom:b", 50})
		}
		return s
	}, group: func(Symbol) Symbol { return "prom:grp" }})
	if len(rep.Verdicts) != 1 || rep.Verdicts[0].Symbol != "prom:grp" || rep.Verdicts[0].Series != 1 {
		t.Errorf("verdicts %+v, want one, of prom:grp pooling 1 series", rep.Verdicts)
	}
}

// Restarts between kept points are counted too: a series that restarts
// every 3 steps over 2,000 steps, kept at 128 points, restarted 666 times.
func TestRestartsBetweenKeptPointsCounted(t *testing.T) {
	rep := watchHistory(t, &histProbe{steps: 2000, step: time.Second, gen: func(i int) []Sample {
		return []Sample{{"prom:a", 100 + float64(i%3)*100}}
	}})
	if v := rep.Verdicts[0]; v.Restarts != 666 {
		t.Errorf("%d restarts, want 666 (every drop from 300 to 100 after the first point)", v.Restarts)
	}
}

// A limit of 0 is no limit (cAdvisor's container_spec_memory_limit_bytes
// of an unlimited container): nothing is said of it.
func TestZeroLimitIsNoLimit(t *testing.T) {
	rep := watchHistory(t, &histProbe{steps: 200, step: time.Second, gen: func(i int) []Sample {
		return []Sample{{"prom:a", 100 + float64(i)*1000}}
	}, lims: map[Symbol]Limit{"prom:a": {Value: 0, Name: "container_spec_memory_limit_bytes"}}})
	if v := rep.Verdicts[0]; v.Limit != nil || strings.Contains(rep.String(), "limit ") {
		t.Errorf("limit %+v; the report:\n%s", v.Limit, rep)
	}
}

// After a thinned history, the live part goes on at the spacing the
// history's points are kept at, not the step between its last two.
func TestHistorySpacingForTheLivePart(t *testing.T) {
	p := &histProbe{steps: 1000, step: time.Second, gen: func(i int) []Sample {
		return []Sample{{"prom:a", 100 + float64(i%7)}}
	}}
	r := newRun(modeWatch, newConfig([]Option{Since(1000 * time.Second), Interval(time.Second)}), time.Now().Add(-1000*time.Second), defaultMaxPoints)
	r.began = r.start.Add(1000 * time.Second)
	r.probes = []Probe{p}
	spacing, err := r.history(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	widest := 0.0
	for i := 1; i < r.hist.len(); i++ {
		widest = max(widest, r.hist.secs[i]-r.hist.secs[i-1])
	}
	if spacing.Seconds() != widest || spacing != 8*time.Second {
		t.Errorf("spacing %v, want the kept points' %vs (1,000 steps of 1s kept at ≤ 128 points: 8s)", spacing, widest)
	}
}

// A pod gone before the end of the history (a few points, undecidable)
// does not hold the watch: the rest decided, it stops as decided.
func TestGoneSeriesDoesNotHoldTheWatch(t *testing.T) {
	rep := watchHistory(t, &histProbe{steps: 300, step: 100 * time.Millisecond, gen: func(i int) []Sample {
		s := []Sample{{"prom:a", 100 + float64(i%3)}}
		if i < 3 {
			s = append(s, Sample{"prom:gone", 50})
		}
		return s
	}}, MaxDuration(time.Minute))
	if rep.Stopped != StopDecided || rep.Live != 0 {
		t.Errorf("stopped %s after %d live snapshots, want decided on the history\n%s", rep.Stopped, rep.Live, rep)
	}
}
