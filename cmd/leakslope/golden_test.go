package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/golden"
)

// transcript is a command's outcome as a golden file holds it.
func transcript(args []string, stdout, stderr string, code int, out string) string {
	if out != "" {
		stdout = strings.ReplaceAll(stdout, out, "OUT")
		stderr = strings.ReplaceAll(stderr, out, "OUT")
	}
	shown := make([]string, len(args))
	for i, a := range args {
		shown[i] = a
		if strings.ContainsAny(a, " \r\n'") {
			shown[i] = "'" + strings.NewReplacer("\r", `\r`, "\n", `\n`, "'", `'\''`).Replace(a) + "'"
		}
	}
	return fmt.Sprintf("$ leakslope %s\n--- exit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(shown, " "), code, stdout, stderr)
}

// TestUsageGolden pins what bad usage and --help print: each error names
// the flag or argument that was wrong, and exits 2.
func TestUsageGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"none", nil, 2},
		{"unknown-command", []string{"leak"}, 2},
		{"help", []string{"--help"}, 0},
		{"hammer-help", []string{"hammer", "--help"}, 0},
		{"watch-help", []string{"watch", "-h"}, 0},
		{"analyze-help", []string{"analyze", "--help"}, 0},
		{"compare-help", []string{"compare", "--help"}, 0},
		{"compare-one-file", []string{"compare", "old.json"}, 2},
		{"hammer-workers", []string{"hammer", "-t", "-1", "--pid", "1", "http://127.0.0.1:1/"}, 2},
		{"hammer-jobs", []string{"hammer", "--pid", "1", "-n", "20000000", "http://127.0.0.1:1/"}, 2},
		{"hammer-bad-flag", []string{"hammer", "--bogus", "http://127.0.0.1:1/"}, 2},
		{"hammer-bad-duration", []string{"hammer", "--max-duration", "soon", "http://127.0.0.1:1/"}, 2},
		{"hammer-bad-budget", []string{"hammer", "--budget", "process.rss <= 3Q/op", "http://127.0.0.1:1/"}, 2},
		{"hammer-no-url", []string{"hammer", "--pid", "1"}, 2},
		{"hammer-bad-url", []string{"hammer", "--pid", "1", "localhost:8080/x"}, 2},
		{"hammer-nothing-to-watch", []string{"hammer", "http://127.0.0.1:1/"}, 2},
		{"hammer-bad-pprof", []string{"hammer", "--pprof", "127.0.0.1:6060", "http://127.0.0.1:1/"}, 2},
		{"hammer-url-and-command", []string{"hammer", "--pid", "1", "http://127.0.0.1:1/", "--", "true"}, 2},
		{"hammer-bad-header", []string{"hammer", "--pid", "1", "-H", "nocolon", "http://127.0.0.1:1/"}, 2},
		{"hammer-header-crlf", []string{"hammer", "--pid", "1", "-H", "X-A: b\r\nX-Injected: 1", "http://127.0.0.1:1/"}, 2},
		{"hammer-bad-method", []string{"hammer", "--pid", "1", "-X", "G ET", "http://127.0.0.1:1/"}, 2},
		{"watch-argument", []string{"watch", "--pid", "1", "extra"}, 2},
		{"watch-per-op-budget", []string{"watch", "--pid", "1", "--budget", "process.rss <= 1KiB/op"}, 2},
		{"watch-bad-interval", []string{"watch", "--pid", "1", "--interval", "0s"}, 2},
		{"watch-query-alone", []string{"watch", "--query", "up"}, 2},
		{"watch-prometheus-alone", []string{"watch", "--prometheus", "http://127.0.0.1:1"}, 2},
		{"watch-bad-prometheus", []string{"watch", "--prometheus", "127.0.0.1:9090", "--query", "up"}, 2},
		{"watch-header-no-name", []string{"watch", "--prometheus", "http://127.0.0.1:1", "--query", "up", "--header", "Bearer secret"}, 2},
		{"watch-header-crlf", []string{"watch", "--prometheus", "http://127.0.0.1:1", "--query", "up", "--header", "X-Token: sec\nret"}, 2},
		{"analyze-no-files", []string{"analyze"}, 2},
		{"analyze-missing-file", []string{"analyze", "testdata/dumps/nope.log"}, 2},
		{"analyze-empty-file", []string{"analyze", "testdata/dumps/empty.log"}, 2},
		{"analyze-not-a-dump", []string{"analyze", "testdata/gosvc/main.go"}, 2},
		{"analyze-per-time-budget", []string{"analyze", "--budget", "heap.bytes:* <= 1KiB/s", "testdata/dumps/dumpheap-1.log"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := cli(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			golden.Check(t, "usage-"+tc.name+".txt", transcript(tc.args, stdout, stderr, code, ""))
		})
	}
}

// TestAnalyzeGolden trends the dump series in testdata/dumps (see
// testdata/gendumps and the SOS logs written from !dumpheap -stat's
// documented format): four SOS logs are too few and say how many more
// would decide; six name the growing classes; the pprof profiles and
// goroutine dumps name the growing allocation and creation sites.
func TestAnalyzeGolden(t *testing.T) {
	files := func(pattern string, n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("testdata/dumps/"+pattern, i))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		files []string
		code  int
	}{
		{"sos-4", files("dumpheap-%d.log", 4), 0},
		{"sos-6", files("dumpheap-%d.log", 6), 1},
		{"pprof-6", files("heap-%d.pb.gz", 6), 1},
		{"goroutines-6", files("goroutines-%d.txt", 6), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"analyze", "--out", out}, tc.files...)
			stdout, stderr, code := cli(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			args[2] = "OUT"
			golden.Check(t, "analyze-"+tc.name+".txt", transcript(args, stdout, stderr, code, out))
			if _, err := os.Stat(filepath.Join(out, "report.html")); err != nil {
				t.Errorf("no report.html: %v", err)
			}
		})
	}
}

func TestAnalyzeMalformedFileNamesFileAndLineAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "dumpheap-3.log")
	if err := os.WriteFile(bad, []byte("Statistics:\n              MT    Count    TotalSize Class Name\n00007ffa1b2c0010   lots   24 System.Object\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"analyze", "--out", dir, "testdata/dumps/dumpheap-1.log", "testdata/dumps/dumpheap-2.log", bad, "testdata/dumps/dumpheap-4.log"}
	stdout, stderr, code := cli(t, args...)
	if code != 2 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if want := "leakslope: analyze: " + bad + ":3: Count \"lots\": not a whole number ≥ 0\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	if !strings.Contains(stdout, "leaktest: analyze: no leak in 3 dumps") || !strings.Contains(stdout, "suspect 1: heap.bytes:MyService.Session") {
		t.Errorf("no report of the three good dumps:\n%s", stdout)
	}
}
