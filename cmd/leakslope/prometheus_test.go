package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/promtest"
)

// watch --prometheus against a real Prometheus scraping a test exporter:
// the growing series is the one leak (exit 1); a malformed query exits
// 2 naming it.
func TestWatchPrometheus(t *testing.T) {
	exp := promtest.StartExporter(t)
	prom := promtest.Start(t, exp.Addr)
	prom.WaitSeries(t, "test_mem_bytes", 3)

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
