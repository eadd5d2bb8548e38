package probe_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/promtest"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
)

// fleetSite is a generated series's symbol site, as PromQL prints it.
func fleetSite(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		if k != "__name__" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(labels["__name__"] + "{")
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=\"" + labels[k] + "\"")
	}
	return b.String() + "}"
}

// Twelve hours of a 200-pod fleet's history, backfilled into a real
// Prometheus: a watch with Since decides it at once, naming exactly the
// leaking pods (restarting ones among them), with slopes close to the
// generated ones; flat pods, noisy ones, ones with gaps, replaced ones and
// a cache that filled and stayed are not named.
func TestPrometheusFleetHistory(t *testing.T) {
	end := time.Now().Truncate(promtest.FleetStep)
	fleet := promtest.GenerateFleet(1, end)
	prom := promtest.StartWithHistory(t, fleet.Start, fleet.Step, fleet.Series)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := leaktest.Watch(ctx,
		leaktest.WithProbes(probe.Prometheus(prom.URL, `app_memory_bytes{job="fleet"}`)),
		leaktest.Since(time.Since(fleet.Start)),
		leaktest.Interval(fleet.Step),
		leaktest.MaxDuration(0),
		leaktest.WithBudget("prom:* <= 4MiB/h"),
		leaktest.ArtifactsDir(t.TempDir()),
	)
	if err != nil {
		t.Fatalf("watch: %v\n%s", err, rep)
	}
	want := map[string]promtest.SeriesTruth{}
	for i, s := range fleet.Series {
		if fleet.Truth[i].Leak {
			want["prom:"+fleetSite(s.Labels)] = fleet.Truth[i]
		}
	}
	for _, v := range rep.Leaks() {
		truth, ok := want[string(v.Symbol)]
		if !ok {
			t.Errorf("%s: a leak verdict, but it does not leak\n%s", v.Symbol, rep)
			continue
		}
		delete(want, string(v.Symbol))
		if got := v.Trend.PerSecond; math.Abs(got-truth.SlopePerS) > 0.1*truth.SlopePerS {
			t.Errorf("%s: slope %.0f B/s, generated %.0f B/s", v.Symbol, got, truth.SlopePerS)
		}
		if v.Restarts != truth.Restarts {
			t.Errorf("%s: %d restarts, generated %d", v.Symbol, v.Restarts, truth.Restarts)
		}
	}
	for sym := range want {
		t.Errorf("%s leaks, but has no leak verdict", sym)
	}
	if n := len(rep.Verdicts); n != len(fleet.Series) {
		t.Errorf("%d verdicts, want one per series, %d", n, len(fleet.Series))
	}
	if rep.History < 11*time.Hour {
		t.Errorf("history %v, want ~12h", rep.History)
	}
	t.Logf("%s", rep)
}
