package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/promtest"
)

// watch --prometheus against a real Prometheus scraping a test exporter:
// the growing series is the one leak (exit 1); a malformed query exits
// 2 naming it.
func TestWatchPrometheus(t *testing.T) {
	exp, prom := promtest.StartScraped(t)

	out := filepath.Join(t.TempDir(), "report.json")
	stdout, stderr, code := cli(t, "watch", "--prometheus", prom.URL, "--query", "test_mem_bytes",
		"--interval", "500ms", "--max-duration", "2m", "--budget", "prom:* <= 100KiB/min",
		"--out", t.TempDir(), "--json", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a leak)\n%s%s", code, stdout, stderr)
	}
	grow := "prom:" + exp.Series("grow")
	rep := readJSON(t, out)
	if got := rep.leaks(); !slices.Equal(got, []string{grow}) {
		t.Errorf("leaks %q, want only %s\n%s", got, grow, stdout)
	}
	if v := rep.verdict(grow); v == nil || v.Kind != "prom" || !strings.HasPrefix(v.Budget, "prom:* <= ") {
		t.Errorf("verdict of %s: %+v", grow, v)
	}
	for _, role := range []string{"flat", "noisy"} {
		if v := rep.verdict("prom:" + exp.Series(role)); v == nil || v.Decision == "leak" {
			t.Errorf("%s: %+v, want a verdict that is not a leak", role, v)
		}
	}
	if !strings.Contains(stdout, grow) {
		t.Errorf("the report does not name %s:\n%s", grow, stdout)
	}

	stdout, stderr, code = cli(t, "watch", "--prometheus", prom.URL, "--query", "test_mem_bytes{", "--out", t.TempDir())
	if code != 2 || !strings.Contains(stderr, `query "test_mem_bytes{"`) || !strings.Contains(stderr, "malformed") {
		t.Errorf("malformed query: exit %d, want 2 naming it\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = cli(t, "watch", "--prometheus", prom.URL, "--query", `test_mem_bytes{role="none"}`, "--out", t.TempDir())
	if code != 3 || !strings.Contains(stderr, "returned no series") {
		t.Errorf("empty result: exit %d, want 3\n%s%s", code, stdout, stderr)
	}
}

// Prometheus not answering (nothing listens there) is a failed run:
// exit 3 naming the URL and the query.
func TestWatchPrometheusDown(t *testing.T) {
	dead := promtest.DeadURL(t)
	stdout, stderr, code := cli(t, "watch", "--prometheus", dead, "--query", "up", "--out", t.TempDir())
	if code != 3 || !strings.Contains(stderr, dead) || !strings.Contains(stderr, `query "up"`) || !strings.Contains(stderr, "not answering") {
		t.Errorf("exit %d, want 3 naming %s and the query\n%s%s", code, dead, stdout, stderr)
	}
}

// hammer --prometheus against a real Prometheus: the hammered endpoint
// grows a gauge that a separate exporter serves and Prometheus scrapes;
// the series is read at the hammer's quiesce points (x = ops). Prometheus
// sees the gauge only at its scrapes, so each snapshot lags the ops by up
// to a round: -w is twice the scrape interval, so that every snapshot
// sees a scrape taken after the round before it, and the lag stays
// bounded while the ops grow. A leaking endpoint is a leak of the grow
// series alone at the default budget 0/op (exit 1); a clean one, every
// series flat, exits 0; Prometheus stopped mid-run exits 3 with the
// report so far.
func TestHammerPrometheus(t *testing.T) {
	var leaked, stopped atomic.Int64
	var prom *promtest.Server
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/leak":
			leaked.Add(1)
		case "/stop":
			// Prometheus goes away mid-run, after some snapshots.
			if stopped.Add(1) == 100 {
				go prom.Stop()
			}
		}
	}))
	t.Cleanup(target.Close)
	exp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE hammer_mem_bytes gauge\nhammer_mem_bytes{role=\"grow\"} %d\nhammer_mem_bytes{role=\"flat\"} %d\n",
			10<<20+leaked.Load()<<10, 50<<20)
	}))
	t.Cleanup(exp.Close)
	addr := strings.TrimPrefix(exp.URL, "http://")
	prom = promtest.Start(t, addr)
	prom.WaitSeries(t, "hammer_mem_bytes", 2)
	series := func(role string) string {
		return fmt.Sprintf(`prom:hammer_mem_bytes{instance=%q,job=%q,role=%q}`, addr, promtest.Job, role)
	}
	hammer := func(path string) (stdout, stderr string, code int, rep jsonReport) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "report.json")
		stdout, stderr, code = cli(t, "hammer", "-t", "2", "-n", "20", "-w", (2 * promtest.ScrapeInterval).String(),
			"--warm-up", "20", "--min-ops", "200", "--max-duration", "2m",
			"--prometheus", prom.URL, "--query", "hammer_mem_bytes",
			"--out", t.TempDir(), "--json", out, target.URL+path)
		if code != 2 {
			rep = readJSON(t, out)
		}
		return stdout, stderr, code, rep
	}

	start := time.Now()
	stdout, stderr, code, rep := hammer("/leak")
	t.Logf("leaking endpoint: %v, %d ops", time.Since(start).Round(time.Millisecond), rep.Ops)
	if code != 1 {
		t.Fatalf("leaking endpoint: exit %d, want 1 (a leak)\n%s%s", code, stdout, stderr)
	}
	grow, flat := series("grow"), series("flat")
	if got := rep.leaks(); !slices.Equal(got, []string{grow}) {
		t.Errorf("leaks %q, want only %s\n%s", got, grow, stdout)
	}
	if v := rep.verdict(grow); v == nil || v.Kind != "prom" || v.Budget != "prom:* <= 0/op" || v.SlopeLo <= 0 {
		t.Errorf("verdict of %s: %+v, want a leak per op against prom:* <= 0/op", grow, v)
	}
	if v := rep.verdict(flat); v == nil || v.Decision == "leak" {
		t.Errorf("%s: %+v, want a verdict that is not a leak", flat, v)
	}

	start = time.Now()
	stdout, stderr, code, rep = hammer("/clean")
	t.Logf("clean endpoint: %v, %d ops", time.Since(start).Round(time.Millisecond), rep.Ops)
	if code != 0 || len(rep.leaks()) != 0 {
		t.Fatalf("clean endpoint: exit %d, leaks %q; want 0 and none\n%s%s", code, rep.leaks(), stdout, stderr)
	}
	for _, s := range []string{grow, flat} {
		if v := rep.verdict(s); v == nil || v.Decision != "within" {
			t.Errorf("clean endpoint: %s: %+v, want within budget", s, v)
		}
	}

	stdout, stderr, code = cli(t, "hammer", "--prometheus", prom.URL, "--query", "hammer_mem_bytes{", "--out", t.TempDir(), target.URL+"/clean")
	if code != 2 || !strings.Contains(stderr, `query "hammer_mem_bytes{"`) || !strings.Contains(stderr, "malformed") {
		t.Errorf("malformed query: exit %d, want 2 naming it\n%s%s", code, stdout, stderr)
	}

	// Last: it stops this test's Prometheus.
	stdout, stderr, code, rep = hammer("/stop")
	if code != 3 || !strings.Contains(stderr, prom.URL) || !strings.Contains(stderr, `query "hammer_mem_bytes"`) {
		t.Errorf("Prometheus stopped mid-run: exit %d, want 3 naming it and the query\n%s%s", code, stdout, stderr)
	}
	if rep.Ops < 100 || rep.verdict(grow) == nil || rep.verdict(flat) == nil || !strings.Contains(stdout, "report is partial") {
		t.Errorf("Prometheus stopped mid-run: want the report so far (%d ops)\n%s", rep.Ops, stdout)
	}
}

// hammer's outside-source usage errors and a Prometheus that is down are
// watch's: exit 2 for --query without --prometheus, exit 3 naming the URL
// and the query when nothing answers.
func TestHammerPrometheusErrors(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(target.Close)
	stdout, stderr, code := cli(t, "hammer", "--query", "up", target.URL)
	if code != 2 || !strings.Contains(stderr, "--query \"up\" needs --prometheus") {
		t.Errorf("--query alone: exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	dead := promtest.DeadURL(t)
	stdout, stderr, code = cli(t, "hammer", "--prometheus", dead, "--query", "up", "--out", t.TempDir(), target.URL)
	if code != 3 || !strings.Contains(stderr, dead) || !strings.Contains(stderr, `query "up"`) || !strings.Contains(stderr, "not answering") {
		t.Errorf("exit %d, want 3 naming %s and the query\n%s%s", code, dead, stdout, stderr)
	}
}
