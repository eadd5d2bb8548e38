package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/leakprofile"
)

// TestHammerBlockedForeverThroughPprof: a Go 1.27 service leaves three
// goroutines blocked forever (its first three requests): no trend shows
// them, and --pprof's read of /debug/pprof/goroutineleak at the run's end
// proves them, exit 1, with the blocking stack. The goroutines that
// /goleak leaves wait on a channel the service still holds: never blocked
// forever. The service is built by the go command the test runs under.
func TestHammerBlockedForeverThroughPprof(t *testing.T) {
	leakprofile.Need(t)
	goSite := lineOf(t, "testdata/gosvc/main.go", "go func() { ch := make(chan int); <-ch }()")
	budgets := []string{"--budget", "heap.bytes:* <= 512B/op", "--budget", "heap.objects:* <= 4/op"}
	for _, tc := range []struct {
		path    string
		code    int
		blocked int
	}{
		{"/stuck", 1, 3},
		{"/clean", 0, 0},
	} {
		t.Run(tc.path[1:], func(t *testing.T) {
			url, _ := goService(t)
			dir := t.TempDir()
			js := filepath.Join(dir, "out.json")
			args := append([]string{"hammer", "--pprof", url + "/debug/pprof", "--max-duration", "120s",
				"--out", filepath.Join(dir, "artifacts"), "--json", js}, budgets...)
			stdout, stderr, code := cli(t, append(args, url+tc.path)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			r := readJSON(t, js)
			n := 0
			for _, v := range r.Verdicts {
				if v.Blocked == nil {
					continue
				}
				n += v.Blocked.Goroutines
				if v.Decision != "leak" || v.Kind != "goroutines" || v.Site != goSite || v.Blocked.Wait != "chan receive" || v.Blocked.Labeled != 0 {
					t.Errorf("blocked verdict %+v (blocked %+v), want a leak at %s on chan receive", v, *v.Blocked, goSite)
				}
			}
			if n != tc.blocked {
				t.Errorf("%d goroutines blocked forever, want %d\n%s", n, tc.blocked, stdout)
			}
			if tc.blocked > 0 {
				for _, want := range []string{"proof   3 goroutines blocked forever (chan receive), found by the runtime's goroutine leak detection", "one of them is blocked at", "main.main.func"} {
					if !strings.Contains(stdout, want) {
						t.Errorf("stdout lacks %q:\n%s", want, stdout)
					}
				}
			}
		})
	}
}

// TestWatchBlockedForeverThroughPprof: watch --pprof asks too, at its
// end: three goroutines the service left blocked forever while watched.
func TestWatchBlockedForeverThroughPprof(t *testing.T) {
	leakprofile.Need(t)
	url, _ := goService(t)
	done := make(chan struct{})
	go func() {
		// After the watch's first snapshot: the goroutines are the growth
		// it sees.
		defer close(done)
		time.Sleep(time.Second)
		for range 5 {
			if resp, err := http.Get(url + "/stuck"); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	defer func() { <-done }()
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	stdout, stderr, code := cli(t, "watch", "--pprof", url+"/debug/pprof/", "--interval", "100ms", "--max-duration", "5s", "--out", dir, "--json", js)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := lineOf(t, "testdata/gosvc/main.go", "go func() { ch := make(chan int); <-ch }()")
	for _, v := range readJSON(t, js).Verdicts {
		if v.Site == want && v.Kind == "goroutines" {
			if v.Decision != "leak" || v.Blocked == nil || v.Blocked.Goroutines != 3 {
				t.Errorf("verdict %+v, want a leak of 3 goroutines blocked forever\n%s", v, stdout)
			}
			return
		}
	}
	t.Errorf("no verdict at %s:\n%s", want, stdout)
}
