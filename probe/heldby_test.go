package probe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/leakslope/leakslope/heldby"
	"github.com/leakslope/leakslope/internal/golden"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
)

type record struct{ buf [200]byte }

// records is the planted leak's holder.
var records = map[int]*record{}

//go:noinline
func plantRecords(n int) {
	for i := range n {
		records[i] = &record{} // site:record
	}
}

func holder(t *testing.T, p leaktest.Probe) leaktest.Holder {
	t.Helper()
	h, ok := p.(leaktest.Holder)
	if !ok {
		t.Fatal("probe.Pprof is not a leaktest.Holder")
	}
	return h
}

// With package heldby mounted beside net/http/pprof, the probe asks it
// what holds the sites, and decodes its answer as leaktest.HeldBy.
func TestPprofProbeAsksHeldBy(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	t.Cleanup(func() { runtime.MemProfileRate = old; records = map[int]*record{} })
	plantRecords(500)
	site := fmt.Sprintf("probe_test.plantRecords heldby_test.go:%d", golden.MarkedLine(t, "heldby_test.go", "site:record"))

	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.Handle(heldby.Pattern, heldby.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := probe.Pprof(srv.URL + "/debug/pprof/")
	got, err := holder(t, p).HeldBy(context.Background(), []string{site})
	if err != nil {
		t.Fatal(err)
	}
	h := got[site]
	if h == nil || len(h.Paths) == 0 {
		t.Fatalf("nothing holds %s: %+v", site, got)
	}
	first := h.Paths[0]
	t.Logf("%s [%s]: %q, %d objects", first.Root, first.RootKind, first.Path, first.Objects)
	if first.Root != "var github.com/leakslope/leakslope/probe_test.records" || first.RootKind != leaktest.RootGlobal ||
		first.Path[len(first.Path)-1] != site || h.Objects < 500 || first.Objects != h.Objects {
		t.Errorf("held by %+v, want the package map records holding all", h)
	}
	if w := p.(leaktest.Warner).Warnings(&leaktest.Report{}); len(w) != 0 {
		t.Errorf("warnings: %q", w)
	}
}

// A service without the handler (404 from pprof's index) is no error:
// no answer, and a warning that says how to mount it.
func TestPprofProbeHeldByNotMounted(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	base := "http://user:secret@" + strings.TrimPrefix(srv.URL, "http://") + "/debug/pprof"
	p := probe.Pprof(base)
	got, err := holder(t, p).HeldBy(context.Background(), []string{"main.leak main.go:1"})
	if got != nil || err != nil {
		t.Fatalf("got %v, %v; want no answer and no error", got, err)
	}
	w := strings.Join(p.(leaktest.Warner).Warnings(&leaktest.Report{}), "\n")
	shown := "http://user:REDACTED@" + strings.TrimPrefix(srv.URL, "http://") + "/debug/pprof"
	if want := "mount github.com/leakslope/leakslope/heldby at " + shown + "/heldby to see what holds the leaking sites"; !strings.Contains(w, want) || strings.Contains(w, "secret") {
		t.Errorf("warnings %q, want %q", w, want)
	}
}

// Every other failure is an error naming the URL without its secrets,
// with the service's reason; at most heldby.MaxSites sites are asked, in
// one request.
func TestPprofProbeHeldByFailures(t *testing.T) {
	var answer atomic.Value
	var asked atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc(heldby.Path, func(w http.ResponseWriter, r *http.Request) {
		asked.Store(int64(len(r.URL.Query()["site"])))
		a := answer.Load().([2]string)
		var status int
		fmt.Sscan(a[0], &status)
		w.WriteHeader(status)
		fmt.Fprint(w, a[1])
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	p := probe.Pprof("http://user:secret@" + host + "/debug/pprof")
	shown := "GET http://user:REDACTED@" + host + "/debug/pprof/heldby: "
	for _, c := range []struct {
		status, body, want string
	}{
		{"503", `{"version":1,"error":"retention paths are not available: the heap dump format of go9 is not known"}`, shown + "503 Service Unavailable: retention paths are not available: the heap dump format of go9 is not known"},
		{"500", "oops", shown + "500 Internal Server Error: oops"},
		{"200", "<html>", shown + "not an answer of package heldby"},
		{"200", `{"version":2,"results":{}}`, shown + "the answer is heldby's version 2, and this leakslope reads version 1"},
		{"200", `{"version":1,"error":"no"}`, shown + "no"},
	} {
		answer.Store([2]string{c.status, c.body})
		got, err := holder(t, p).HeldBy(context.Background(), []string{"a a.go:1"})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "secret") || got != nil {
			t.Errorf("%s %s: %v, %v; want the error %q", c.status, c.body, got, err, c.want)
		}
	}

	answer.Store([2]string{"200", `{"version":1,"results":{"f0 x.go:1":{"objects":3,"bytes":48,"retained_by":[{"root":"var main.m","root_kind":"global","path":["f0 x.go:1"],"hops":[{"site":"f0 x.go:1","what":"object","repeat":1}],"objects":3,"bytes":48,"retained_bytes":48}]}}}`})
	var sites []string
	for i := range heldby.MaxSites + 5 {
		sites = append(sites, fmt.Sprintf("f%d x.go:1", i))
	}
	got, err := holder(t, p).HeldBy(context.Background(), sites)
	if err != nil {
		t.Fatal(err)
	}
	if h := got["f0 x.go:1"]; h == nil || h.Objects != 3 || len(h.Paths) != 1 || h.Paths[0].Root != "var main.m" || h.Paths[0].Hops[0].What != "object" {
		t.Errorf("decoded %+v", h)
	}
	if asked.Load() != heldby.MaxSites {
		t.Errorf("asked %d sites, want %d", asked.Load(), heldby.MaxSites)
	}
	w := strings.Join(p.(leaktest.Warner).Warnings(&leaktest.Report{}), "\n")
	if !strings.Contains(w, "5 more were not asked") {
		t.Errorf("warnings %q", w)
	}
}
