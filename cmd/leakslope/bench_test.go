package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLeakVerdictToExit: `leakslope hammer --pprof` against a Go
// service leaking 4 KiB a request. A run stops at the look that proves the
// leak; what is left is writing the report and its artifacts. Reports the
// seconds from that look (the last snapshot) to the command's return, and
// the whole run's. Goal: within one look (well under a second).
func BenchmarkLeakVerdictToExit(b *testing.B) {
	var after, total float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		url, _ := goService(b)
		dir := b.TempDir()
		js := filepath.Join(dir, "r.json")
		b.StartTimer()
		start := time.Now()
		code := exitCode(nopWriter{}, run(nopWriter{}, nopWriter{}, []string{"hammer", "--pprof", url + "/debug/pprof", "--max-duration", "90s", "--out", dir, "--json", js, url + "/leak"}))
		el := time.Since(start)
		b.StopTimer()
		if code != 1 {
			b.Fatalf("exit %d, want 1", code)
		}
		data, err := os.ReadFile(js)
		if err != nil {
			b.Fatal(err)
		}
		var r struct {
			Stopped   string
			Snapshots []struct {
				Seconds float64 `json:"t_s"`
			}
		}
		if err := json.Unmarshal(data, &r); err != nil || len(r.Snapshots) == 0 || r.Stopped != "leak" && r.Stopped != "decided" {
			b.Fatalf("stopped %q, %d snapshots, %v", r.Stopped, len(r.Snapshots), err)
		}
		last := r.Snapshots[len(r.Snapshots)-1].Seconds
		after += el.Seconds() - last
		total += el.Seconds()
	}
	b.ReportMetric(after/float64(b.N), "s-after-verdict")
	b.ReportMetric(total/float64(b.N), "s/run")
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
