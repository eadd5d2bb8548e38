package main

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/promtest"
)

// fleetLimit is every generated pod's memory limit.
const fleetLimit = 1 << 30

// startFleet backfills 12 h of a generated fleet and each series's limit
// (app_memory_limit_bytes, the same labels) into a real Prometheus.
func startFleet(t *testing.T) (promtest.Fleet, *promtest.Server) {
	t.Helper()
	fleet := promtest.GenerateFleet(1, time.Now().Truncate(promtest.FleetStep))
	series := slices.Clone(fleet.Series)
	for _, s := range fleet.Series {
		l := maps.Clone(s.Labels)
		l["__name__"] = "app_memory_limit_bytes"
		v := make([]float64, len(s.Values))
		for i, x := range s.Values {
			v[i] = math.NaN()
			if !math.IsNaN(x) {
				v[i] = fleetLimit
			}
		}
		series = append(series, promtest.HistorySeries{Labels: l, Values: v})
	}
	return fleet, promtest.StartWithHistory(t, fleet.Start, fleet.Step, series)
}

// watch --since over a backfilled fleet decides on the history alone
// (--max-duration 0s): exit 1 naming exactly the leaking pods, restarts
// counted, each with its limit and the time until it reaches it; with
// --group-by deployment, exactly the leaky deployment, its slope per pod.
func TestWatchPrometheusFleetHistory(t *testing.T) {
	fleet, prom := startFleet(t)
	since := time.Since(fleet.Start).Round(time.Second) + time.Second
	base := []string{"watch", "--prometheus", prom.URL, "--query", `app_memory_bytes{job="fleet"}`,
		"--since", since.String(), "--interval", "30s", "--max-duration", "0s", "--budget", "prom:* <= 4MiB/h",
		"--limit-query", `app_memory_limit_bytes{job="fleet"}`, "--out", t.TempDir()}

	out := filepath.Join(t.TempDir(), "report.json")
	stdout, stderr, code := cli(t, append(base, "--json", out)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (leaks)\n%s%s", code, stdout, stderr)
	}
	rep := readJSON(t, out)
	var want []string
	restarts := map[string]int{}
	for i, s := range fleet.Series {
		if fleet.Truth[i].Leak {
			sym := "prom:app_memory_bytes{deployment=\"leaky\",instance=\"" + s.Labels["instance"] + "\",job=\"fleet\"}"
			want = append(want, sym)
			restarts[sym] = fleet.Truth[i].Restarts
		}
	}
	slices.Sort(want)
	got := rep.leaks()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("leaks %q, want %q\n%s", got, want, stdout)
	}
	for _, sym := range want {
		v := rep.verdict(sym)
		if v.Restarts != restarts[sym] {
			t.Errorf("%s: restarts %d, want %d", sym, v.Restarts, restarts[sym])
		}
		if v.Limit != fleetLimit || !strings.HasPrefix(v.LimitName, "app_memory_limit_bytes{") {
			t.Errorf("%s: limit %v %q, want %d from app_memory_limit_bytes", sym, v.Limit, v.LimitName, fleetLimit)
		}
		if toLimit := (fleetLimit - v.Last) / v.SlopePerS; math.Abs(v.ToLimitS-toLimit) > 1 {
			t.Errorf("%s: time to limit %v s, want (limit - last)/slope = %v s", sym, v.ToLimitS, toLimit)
		}
	}
	if rep.HistoryS < 11*3600 || rep.Stopped != "leak" {
		t.Errorf("history %v s, stopped %q: want ~12 h of history, stopped at the leak", rep.HistoryS, rep.Stopped)
	}
	if !strings.Contains(stdout, "limit   1 GiB (app_memory_limit_bytes{") || !strings.Contains(stdout, "restarts 2") || !strings.Contains(stdout, "of history, decided on it alone") {
		t.Errorf("the text does not show the limit, the restarts and the history:\n%s", stdout)
	}

	out = filepath.Join(t.TempDir(), "report.json")
	stdout, stderr, code = cli(t, append(base, "--group-by", "deployment", "--all", "--json", out)...)
	if code != 1 {
		t.Fatalf("--group-by: exit %d, want 1 (leaks)\n%s%s", code, stdout, stderr)
	}
	rep = readJSON(t, out)
	leaky := `prom:app_memory_bytes{deployment="leaky"}`
	if got := rep.leaks(); !slices.Equal(got, []string{leaky}) {
		t.Fatalf("--group-by: leaks %q, want [%s]\n%s", got, leaky, stdout)
	}
	if len(rep.Verdicts) != 3 {
		t.Errorf("--group-by: %d verdicts, want 3 (one per deployment)\n%s", len(rep.Verdicts), stdout)
	}
	v := rep.verdict(leaky)
	perHour := v.SlopePerS * 3600 / (1 << 20)
	if v.Series != 4 || v.Restarts != 3 || perHour < 16 || perHour > 32 {
		t.Errorf("--group-by: %s: %d series, %d restarts, %.1f MiB/h; want 4, 3, between 16 and 32 MiB/h (the pods' 8, 16, 32, 64 pooled)", leaky, v.Series, v.Restarts, perHour)
	}
	for _, d := range []string{"api", "cache"} {
		g := rep.verdict(`prom:app_memory_bytes{deployment="` + d + `"}`)
		if g == nil || g.Decision != "within" {
			t.Errorf("--group-by: deployment %s: %+v, want within", d, g)
		}
	}
	if !strings.Contains(stdout, "series  4 pooled") {
		t.Errorf("--group-by: the text does not say the group pools 4 series:\n%s", stdout)
	}
	page, err := os.ReadFile(rep.Artifacts["html"])
	if err != nil || !strings.Contains(string(page), "4 series pooled (the slope is per series); 3 restarts (fitted between them)") {
		t.Errorf("--group-by: report.html (%v) does not say the group pools 4 series with 3 restarts", err)
	}
}

// The fleet flags' misuse is exit 2, naming the flag; a malformed query
// read as history is exit 2 as live.
func TestWatchPrometheusFleetUsage(t *testing.T) {
	dead := promtest.DeadURL(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"watch", "--pid", "1", "--since", "1h"}, "--since is for --prometheus"},
		{[]string{"watch", "--prometheus", dead, "--query", "up", "--max-duration", "0s"}, "--max-duration 0s: want > 0 (0s only with --since"},
		{[]string{"watch", "--prometheus", dead, "--query", "up", "--since", "-1h"}, "--since -1h0m0s: want > 0"},
		{[]string{"watch", "--prometheus", dead, "--query", "up", "--group-by", "deployment,1x"}, `--group-by "deployment,1x": "1x" is not a label name`},
		{[]string{"watch", "--pid", "1", "--group-by", "deployment"}, "--group-by is for --prometheus"},
		{[]string{"watch", "--pid", "1", "--limit-query", "x"}, "--limit-query is for --prometheus"},
		{[]string{"hammer", "--prometheus", dead, "--query", "up", "--since", "1h", "http://127.0.0.1:1/"}, "--since 1h0m0s: history is for watch"},
	} {
		stdout, stderr, code := cli(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want 2 saying %q\n%s%s", c.args, code, c.want, stdout, stderr)
		}
	}
	_, prom := promtest.StartScraped(t)
	stdout, stderr, code := cli(t, "watch", "--prometheus", prom.URL, "--query", "test_mem_bytes{", "--since", "1m", "--max-duration", "0s", "--out", t.TempDir())
	if code != 2 || !strings.Contains(stderr, `query "test_mem_bytes{"`) || !strings.Contains(stderr, "malformed") {
		t.Errorf("malformed query over --since: exit %d, want 2 naming it\n%s%s", code, stdout, stderr)
	}
}
