package heldby_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	_ "net/http/pprof" // on http.DefaultServeMux, as a service has it
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/heldby"
	"github.com/leakslope/leakslope/internal/golden"
	"github.com/leakslope/leakslope/leaktest"
)

// siteOf names the line of this file that ends with "// "+mark as the
// heap symbols name a site: "heldby_test.FUNC heldby_test.go:LINE".
func siteOf(t *testing.T, fn, mark string) string {
	t.Helper()
	return fmt.Sprintf("heldby_test.%s heldby_test.go:%d", fn, golden.MarkedLine(t, "heldby_test.go", mark))
}

var mount sync.Once

// service serves http.DefaultServeMux on 127.0.0.1, with the handler
// mounted as the package doc says, beside net/http/pprof's handlers.
func service(t *testing.T) string {
	t.Helper()
	mount.Do(func() { http.Handle(heldby.Pattern, heldby.Handler()) })
	srv := httptest.NewServer(http.DefaultServeMux)
	t.Cleanup(srv.Close)
	return srv.URL + heldby.Path
}

// server serves the handler alone, at Path for every method.
func server(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(heldby.Path, heldby.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + heldby.Path
}

// answer is what the CLI's probe decodes: a leaktest.HeldBy per site,
// straight from the wire.
type answer struct {
	Version int                         `json:"version"`
	Results map[string]*leaktest.HeldBy `json:"results"`
	Error   string                      `json:"error"`
}

func get(t *testing.T, method, u string) (int, http.Header, answer) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("%s %s: %s: not JSON: %v\n%s", method, u, resp.Status, err, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if a.Version != heldby.Version {
		t.Errorf("version %d, want %d", a.Version, heldby.Version)
	}
	return resp.StatusCode, resp.Header, a
}

type session struct {
	id  int
	buf [100]byte
}

// sessions is the planted leak's holder.
var sessions []*session

//go:noinline
func plant(n int) {
	for i := range n {
		s := &session{id: i}           // site:session
		sessions = append(sessions, s) // site:slice
	}
}

// The handler names the package variable that holds a site's objects,
// and the path to them: the slice's array, then the objects.
func TestHandlerNamesTheHolder(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	t.Cleanup(func() { runtime.MemProfileRate = old; sessions = nil })
	const n = 1000
	plant(n)
	site, slice := siteOf(t, "plant", "site:session"), siteOf(t, "plant", "site:slice")
	other := "heldby_test.nowhere heldby_test.go:1"

	base := service(t)
	status, _, a := get(t, http.MethodGet, base+"?"+url.Values{"site": {site, other, site}}.Encode())
	if status != http.StatusOK || a.Error != "" {
		t.Fatalf("status %d, error %q", status, a.Error)
	}
	if len(a.Results) != 2 {
		t.Errorf("%d results, want 2 (a site asked twice is answered once)", len(a.Results))
	}
	h := a.Results[site]
	if h == nil || len(h.Paths) == 0 {
		t.Fatalf("no paths for %s: %+v", site, h)
	}
	if h.Objects != n {
		t.Errorf("%d objects of %s, want %d", h.Objects, site, n)
	}
	p := h.Paths[0]
	t.Logf("%s [%s] %s: %d objects, %d B, retains %d B: %q; notes %q", p.Root, p.RootKind, p.RootSite, p.Objects, p.Bytes, p.RetainedBytes, p.Path, h.Notes)
	// go test strips the test binary's symbol table; the analysis links
	// it again to name the variable.
	if want := "var github.com/leakslope/leakslope/heldby_test.sessions"; p.Root != want {
		t.Errorf("root %q, want %q (notes %q)", p.Root, want, h.Notes)
	}
	if p.RootKind != leaktest.RootGlobal || p.Objects != n || p.Bytes < n*112 || p.RetainedBytes < p.Bytes {
		t.Errorf("path %+v, want a global holding all %d objects", p, n)
	}
	if len(p.Path) != 2 || p.Path[0] != slice || p.Path[1] != site {
		t.Errorf("path %q, want [%s %s]", p.Path, slice, site)
	}
	if len(p.Hops) != 2 || p.Hops[0].What != "slice" || p.Hops[1].What != "object" {
		t.Errorf("hops %+v, want the slice, then the object", p.Hops)
	}
	for _, note := range h.Notes {
		if strings.Contains(note, "sampled") {
			t.Errorf("an exact profile noted as sampled: %q", note)
		}
	}
	if o := a.Results[other]; o == nil || o.Objects != 0 || len(o.Paths) != 0 || len(o.Notes) == 0 {
		t.Errorf("a site with no objects: %+v, want none, with a note", o)
	}
	// net/http/pprof answers beside it.
	resp, err := http.Get(strings.TrimSuffix(base, "/heldby") + "/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("pprof's heap page beside heldby: %s", resp.Status)
	}
}

// Bad requests are refused before any heap dump, each with its reason.
func TestHandlerRefusesBadRequests(t *testing.T) {
	base := server(t)
	many := url.Values{}
	for i := range heldby.MaxSites + 1 {
		many.Add("site", fmt.Sprintf("f%d x.go:1", i))
	}
	for _, c := range []struct {
		method, query string
		status        int
		says          string
	}{
		{http.MethodGet, "", http.StatusBadRequest, "no site"},
		{http.MethodGet, "other=1", http.StatusBadRequest, "no site"},
		{http.MethodGet, "site=", http.StatusBadRequest, "empty"},
		{http.MethodGet, many.Encode(), http.StatusBadRequest, fmt.Sprintf("%d sites: at most %d", heldby.MaxSites+1, heldby.MaxSites)},
		{http.MethodGet, "site=" + strings.Repeat("x", heldby.MaxSiteLen+1), http.StatusBadRequest, "bytes long"},
		{http.MethodGet, "site=%ff", http.StatusBadRequest, "not UTF-8"},
		{http.MethodGet, "site=%zz", http.StatusBadRequest, "does not parse"},
		{http.MethodPost, "site=a", http.StatusMethodNotAllowed, "only GET"},
		{http.MethodDelete, "site=a", http.StatusMethodNotAllowed, "only GET"},
	} {
		status, hdr, a := get(t, c.method, base+"?"+c.query)
		if status != c.status || !strings.Contains(a.Error, c.says) || a.Results != nil {
			t.Errorf("%s ?%.40s: %d %q, want %d saying %q", c.method, c.query, status, a.Error, c.status, c.says)
		}
		if status == http.StatusMethodNotAllowed && hdr.Get("Allow") != http.MethodGet {
			t.Errorf("Allow: %q", hdr.Get("Allow"))
		}
	}
}
