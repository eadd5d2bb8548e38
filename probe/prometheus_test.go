package probe_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/promtest"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
)

// onlyLeak fails the test unless sym is the report's one leak.
func onlyLeak(t *testing.T, rep *leaktest.Report, sym string) {
	t.Helper()
	var leaks []string
	for _, v := range rep.Leaks() {
		leaks = append(leaks, string(v.Symbol))
	}
	if !slices.Equal(leaks, []string{sym}) {
		t.Fatalf("leaks %q, want exactly [%q]\n%s", leaks, sym, rep)
	}
}

// A real Prometheus scraping a test exporter: the watch names exactly the
// growing series, with its labels sorted and quoted as PromQL prints them.
func TestPrometheusWatchNamesGrowingSeries(t *testing.T) {
	exp, prom := promtest.StartScraped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := leaktest.Watch(ctx,
		leaktest.WithProbes(probe.Prometheus(prom.URL, "test_mem_bytes")),
		leaktest.Interval(500*time.Millisecond),
		leaktest.MaxDuration(2*time.Minute), // bounds a hang; the watch stops at the leak
		leaktest.WithBudget("prom:* <= 100KiB/min"),
		leaktest.ArtifactsDir(t.TempDir()),
	)
	if err != nil {
		t.Fatalf("watch: %v\n%s", err, rep)
	}
	grow := "prom:" + exp.Series("grow")
	onlyLeak(t, rep, grow)
	want := map[string]bool{grow: true, "prom:" + exp.Series("flat"): true, "prom:" + exp.Series("noisy"): true}
	for _, v := range rep.Verdicts {
		if !want[string(v.Symbol)] {
			t.Errorf("unexpected symbol %q", v.Symbol)
		}
		if v.Kind() != leaktest.KindProm {
			t.Errorf("%s: kind %q, want prom", v.Symbol, v.Kind())
		}
		delete(want, string(v.Symbol))
	}
	if len(want) > 0 {
		t.Errorf("no verdict for %v", want)
	}
	if !strings.Contains(rep.String(), grow) {
		t.Errorf("the report does not name %s:\n%s", grow, rep)
	}
}

func TestPrometheusProbeErrors(t *testing.T) {
	exp, prom := promtest.StartScraped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	take := func(query string, opts ...probe.PrometheusOption) ([]leaktest.Sample, error) {
		return probe.Prometheus(prom.URL, query, opts...).Take(ctx)
	}

	s, err := take(`test_mem_bytes{role="flat"}`)
	if err != nil || len(s) != 1 || s[0].Symbol != leaktest.Symbol("prom:"+exp.Series("flat")) || s[0].Value != 50<<20 {
		t.Errorf("flat series: %v, %v; want %s = %d", s, err, exp.Series("flat"), 50<<20)
	}
	// Without a name (sum drops it): only the braces.
	if s, err := take(`sum by (role) (test_mem_bytes{role="flat"})`); err != nil || len(s) != 1 || s[0].Symbol != `prom:{role="flat"}` {
		t.Errorf("sum by role: %v, %v; want prom:{role=\"flat\"}", s, err)
	}

	for _, tc := range []struct {
		name, query string
		opts        []probe.PrometheusOption
		want        []string
	}{
		{"empty", `test_mem_bytes{role="none"}`, nil, []string{"returned no series", prom.URL, `test_mem_bytes{role=\"none\"}`}},
		{"too many", "test_mem_bytes", []probe.PrometheusOption{probe.MaxSeries(2)}, []string{"returned 3 series, over the limit of 2", prom.URL, `"test_mem_bytes"`}},
		{"scalar", "1+1", nil, []string{"the result is a scalar, want an instant vector", `"1+1"`}},
		{"response bound", "test_mem_bytes", []probe.PrometheusOption{probe.PrometheusMaxResponse(100)}, []string{"over the 100 B limit", `"test_mem_bytes"`}},
	} {
		_, err := take(tc.query, tc.opts...)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", tc.name, err, w)
			}
		}
		var qe *probe.QueryError
		if errors.As(err, &qe) {
			t.Errorf("%s: a *QueryError: %v", tc.name, err)
		}
	}

	// A malformed query is Prometheus's bad_data: a *QueryError.
	_, err = take("test_mem_bytes{")
	var qe *probe.QueryError
	if !errors.As(err, &qe) || qe.Query != "test_mem_bytes{" || qe.URL != prom.URL || !strings.Contains(err.Error(), `"test_mem_bytes{"`) {
		t.Errorf("malformed query: %v, want a *probe.QueryError naming it", err)
	}

	// Nothing listening.
	dead := promtest.DeadURL(t)
	if _, err := probe.Prometheus(dead, "up").Take(ctx); err == nil || !strings.Contains(err.Error(), "not answering") || !strings.Contains(err.Error(), dead) || errors.As(err, &qe) {
		t.Errorf("dead URL: %v", err)
	}
}

// A header with CR or LF is refused before any request, naming the header
// and never its value.
func TestPrometheusHeaderRefused(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { asked.Add(1) }))
	defer srv.Close()
	for _, tc := range []struct{ name, value, want string }{
		{"X-Token", "secret\r\nX-Evil: 1", "Prometheus header X-Token: a CR at byte 6 of its value"},
		{"X-Token", "sec\nret", "Prometheus header X-Token: a LF at byte 3"},
		{"Bad Name", "v", `Prometheus header "Bad Name": want a header name of token characters`},
	} {
		p := probe.Prometheus(srv.URL, "up", probe.PrometheusHeader("Authorization", "Bearer fine"), probe.PrometheusHeader(tc.name, tc.value))
		err := p.(leaktest.Starter).Start(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "sec") {
			t.Errorf("header %s: Start: %v, want %q and not the value", tc.name, err, tc.want)
		}
		if _, err := p.Take(context.Background()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("header %s: Take: %v, want %q", tc.name, err, tc.want)
		}
		// Watch refuses it before the first snapshot: no report.
		rep, err := leaktest.Watch(context.Background(), leaktest.WithProbes(p), leaktest.ArtifactsDir(t.TempDir()))
		if rep != nil || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("header %s: Watch: %v, %v", tc.name, rep != nil, err)
		}
	}
	if n := asked.Load(); n != 0 {
		t.Errorf("Prometheus was asked %d times", n)
	}
}

// Headers reach Prometheus (here a stand-in that checks them and answers
// as Prometheus does).
func TestPrometheusHeaderSent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.URL.Path != "/api/v1/query" || r.URL.Query().Get("query") != "up" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "unauthorized")
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a\\b"},"value":[1.5,"1"]}]}}`)
	}))
	defer srv.Close()
	s, err := probe.Prometheus(srv.URL+"/", "up", probe.PrometheusHeader("Authorization", "Bearer tok")).Take(context.Background())
	if err != nil || len(s) != 1 || s[0].Symbol != `prom:up{job="a\\b"}` || s[0].Value != 1 {
		t.Errorf("Take: %v, %v", s, err)
	}
	_, err = probe.Prometheus(srv.URL, "up").Take(context.Background())
	if err == nil || !strings.Contains(err.Error(), "401 Unauthorized: unauthorized") {
		t.Errorf("without the header: %v", err)
	}
}

// stopAfter stops Prometheus once its probe has taken n snapshots.
type stopAfter struct {
	leaktest.Probe
	n    int
	stop func()
}

func (s *stopAfter) Take(ctx context.Context) ([]leaktest.Sample, error) {
	if s.n == 0 {
		s.stop()
	}
	s.n--
	return s.Probe.Take(ctx)
}

// Prometheus stopped mid-watch ends it with an error naming the URL and
// the query, and the report so far.
func TestPrometheusStoppedMidWatch(t *testing.T) {
	_, prom := promtest.StartScraped(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := leaktest.Watch(ctx,
		leaktest.WithProbes(&stopAfter{Probe: probe.Prometheus(prom.URL, "test_mem_bytes"), n: 3, stop: prom.Stop}),
		leaktest.Interval(100*time.Millisecond),
		leaktest.MaxDuration(time.Minute),
		leaktest.ArtifactsDir(t.TempDir()),
	)
	if err == nil || !strings.Contains(err.Error(), prom.URL) || !strings.Contains(err.Error(), `query "test_mem_bytes"`) || !strings.Contains(err.Error(), "not answering") {
		t.Errorf("err %v, want Prometheus not answering, naming the URL and the query", err)
	}
	if rep == nil || len(rep.Snapshots) != 3 {
		t.Fatalf("report %v, want the 3 snapshots so far", rep)
	}
}
