package probe_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
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

// Clean fleets, again and again (other seeds: other noise, gaps, restarts
// and replacements), never give a leak verdict.
func TestPrometheusCleanFleetsNeverLeak(t *testing.T) {
	end := time.Now().Truncate(promtest.FleetStep)
	for seed := int64(2); seed <= 5; seed++ {
		fleet := promtest.GenerateFleet(seed, end)
		var clean []promtest.HistorySeries
		for i, s := range fleet.Series {
			if !fleet.Truth[i].Leak {
				clean = append(clean, s)
			}
		}
		prom := promtest.StartWithHistory(t, fleet.Start, fleet.Step, clean)
		for _, group := range [][]probe.PrometheusOption{nil, {probe.GroupBy("deployment")}} {
			rep, err := leaktest.Watch(context.Background(),
				leaktest.WithProbes(probe.Prometheus(prom.URL, `app_memory_bytes{job="fleet"}`, group...)),
				leaktest.Since(time.Since(fleet.Start)), leaktest.Interval(fleet.Step), leaktest.MaxDuration(0),
				leaktest.WithBudget("prom:* <= 4MiB/h"), leaktest.ArtifactsDir(t.TempDir()))
			if err != nil {
				t.Fatalf("seed %d: watch: %v\n%s", seed, err, rep)
			}
			if leaks := rep.Leaks(); len(leaks) > 0 {
				t.Errorf("seed %d (group-by %v): a clean fleet has %d leak verdicts, the first %s\n%s", seed, len(group) > 0, len(leaks), leaks[0].Symbol, rep)
			}
		}
		prom.Stop()
	}
}

// A history too short to decide (a few seconds of a live exporter) is
// read, then the watch goes on live until the growing series is a leak.
func TestPrometheusSinceThenLive(t *testing.T) {
	exp, prom := promtest.StartScraped(t)
	time.Sleep(2 * time.Second) // some history to read
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := leaktest.Watch(ctx,
		leaktest.WithProbes(probe.Prometheus(prom.URL, "test_mem_bytes")),
		leaktest.Since(2*time.Second), leaktest.Interval(500*time.Millisecond),
		leaktest.MaxDuration(2*time.Minute), // bounds a hang; the watch stops at the leak
		leaktest.WithBudget("prom:* <= 100KiB/min"), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatalf("watch: %v\n%s", err, rep)
	}
	grow := "prom:" + exp.Series("grow")
	onlyLeak(t, rep, grow)
	if rep.History != 2*time.Second || rep.Duration <= rep.History {
		t.Errorf("history %v of %v: want 2s of history, then live snapshots", rep.History, rep.Duration)
	}
	if !strings.Contains(rep.String(), "2s of history, then") {
		t.Errorf("the report does not say it read 2s of history:\n%s", rep)
	}
}

// What the history can fail on, each an error naming the URL and the
// query: a query with no series over the while, a malformed query (a
// *probe.QueryError), Prometheus slower than the probe's timeout (a
// real Prometheus behind a slow link), a probe that cannot read history.
func TestPrometheusHistoryErrors(t *testing.T) {
	_, prom := promtest.StartScraped(t)
	watch := func(p leaktest.Probe) (*leaktest.Report, error) {
		return leaktest.Watch(context.Background(), leaktest.WithProbes(p), leaktest.Since(time.Minute),
			leaktest.Interval(time.Second), leaktest.MaxDuration(0), leaktest.ArtifactsDir(t.TempDir()))
	}
	_, err := watch(probe.Prometheus(prom.URL, `test_mem_bytes{role="none"}`))
	if err == nil || !strings.Contains(err.Error(), "returned no series from") || !strings.Contains(err.Error(), prom.URL) {
		t.Errorf("empty history: %v, want an error naming the URL and saying no series", err)
	}
	_, err = watch(probe.Prometheus(prom.URL, `test_mem_bytes{`))
	var qe *probe.QueryError
	if !errors.As(err, &qe) || qe.Query != `test_mem_bytes{` {
		t.Errorf("malformed query: %v, want a *probe.QueryError naming it", err)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	start := time.Now()
	rep, err := watch(probe.Prometheus(slow.URL, "test_mem_bytes", probe.PrometheusTimeout(200*time.Millisecond)))
	if err == nil || !strings.Contains(err.Error(), "did not answer within 200ms") || !strings.Contains(err.Error(), slow.URL) {
		t.Errorf("slow Prometheus: %v, want an error saying it did not answer within 200ms, naming %s", err, slow.URL)
	}
	if rep == nil {
		t.Errorf("slow Prometheus: no report; want the report so far")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("slow Prometheus: the watch took %v; the 200ms timeout should have ended it (bound, not a timing claim: the server waits 5s)", d)
	}

	_, err = leaktest.Watch(context.Background(), leaktest.WithProbes(probe.Process(os.Getpid())), leaktest.Since(time.Minute))
	if err == nil || !strings.Contains(err.Error(), "cannot read history") {
		t.Errorf("Since with a probe without history: %v, want a refusal", err)
	}
}
