// Package heldby answers, inside a Go service, what keeps the objects of
// an allocation site alive — the seed's `!gcroot`, for a service that
// `leakslope hammer --pprof` or `leakslope watch --pprof` finds leaking.
// Mount its Handler beside net/http/pprof, at the pprof base URL plus
// "/heldby" (Path, "/debug/pprof/heldby", is the convention), for GET
// (Pattern, "GET /debug/pprof/heldby"):
//
//	import (
//		"net/http"
//		_ "net/http/pprof"
//
//		"github.com/leakslope/leakslope/heldby"
//	)
//
//	func init() {
//		http.Handle(heldby.Pattern, heldby.Handler()) // beside /debug/pprof/
//	}
//
// The method matters: net/http/pprof registers "GET /debug/pprof/" on
// http.DefaultServeMux, and http.ServeMux refuses (panics at) a pattern
// that matches more methods but a more specific path, such as a bare
// "/debug/pprof/heldby". "GET /debug/pprof/heldby" sits beside it, and
// beside a bare "/debug/pprof/" on a mux of the service's own.
//
// The CLI and probe.Pprof, given the base URL BASE of the pprof handlers
// ("http://127.0.0.1:6060/debug/pprof"), ask BASE/heldby once, at the end
// of a run or watch that found a heap leak, for the leaking sites and the
// sites growing most under a leaking heap total; the report shows what
// holds each as a "held by" block, and its JSON as the verdict's
// "retained_by". Without the handler mounted the report says how to
// mount it, and is otherwise the same.
//
// # The request and the answer
//
// GET with one or more site parameters, each an allocation site named as
// leakslope's heap symbols name it ("store.newSession store.go:38"), at
// most MaxSites of them, each at most MaxSiteLen bytes:
//
//	GET /debug/pprof/heldby?site=store.newSession+store.go%3A38
//
// The answer is JSON, Version 1:
//
//	{"version": 1, "results": {"store.newSession store.go:38": {
//	    "site": "store.newSession store.go:38", "objects": 100, "bytes": 20800,
//	    "retained_by": [{"root": "var github.com/acme/store.registry", "root_kind": "global",
//	        "path": ["store.(*Store).Add store.go:40", "store.newSession store.go:38"],
//	        "hops": [{"site": "store.(*Store).Add store.go:40", "what": "map table", "repeat": 1},
//	                 {"site": "store.newSession store.go:38", "what": "object", "repeat": 1}],
//	        "objects": 100, "bytes": 20800, "retained_bytes": 26624}],
//	    "notes": ["the heap profile is sampled (runtime.MemProfileRate = 524288): …"]}}}
//
// Each result decodes into a leaktest.HeldBy as it is. When the heap dump
// cannot be read or explained (a Go release whose heap dump format this
// leakslope does not know, for one), the answer is 503 Service
// Unavailable with {"version": 1, "error": REASON}; so it is while
// another request is being answered (one heap dump at a time). A bad
// request is 400, a method other than GET 405, each with an "error".
//
// # What it costs, and what it sees
//
// Each request collects garbage twice and writes a heap dump of the
// service (runtime/debug.WriteHeapDump, to a temporary file removed
// after): the world is stopped while the runtime writes it, for about a
// second per few hundred MiB of heap, and the analysis uses about the
// heap's size again while it runs. Like net/http/pprof, it shows the
// service's internals (its variables' names, its heap's shape): serve it
// only where pprof is served, never to the public.
//
// An object's site is its allocation stack as the heap profile recorded
// it, so only profiled objects carry one. With the service's default
// sampled profile (runtime.MemProfileRate, one sample per 512 KiB
// allocated) only the sampled objects do: the paths are the ones the
// sampled objects prove (a leak's objects are alike, so a few samples
// usually show the one path they share), and each result's notes say so.
// A hop on the way whose own allocation was not sampled is "unsampled",
// its site unknown ("(not sampled)" in the path).
// For a soak, a service may set runtime.MemProfileRate lower (1 records
// every allocation, at some cost in speed and memory) as the first
// statement of main, before it allocates what will leak.
//
// Package variables are named from the service binary's symbol table
// (ELF: Linux and the BSDs), which `go build` keeps; a binary linked with
// -ldflags=-s shows them by address, and the notes say why.
//
// The package imports only the standard library and leakslope's internal
// packages: a service links neither leaktest nor testing, goleak, Gomega
// or Ginkgo.
package heldby

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/leakslope/leakslope/internal/retain"
)

const (
	// Path is where a service mounts the Handler: its net/http/pprof base
	// ("/debug/pprof") plus "/heldby", where the CLI and probe.Pprof ask.
	Path = "/debug/pprof/heldby"
	// Pattern mounts the Handler at Path on an http.ServeMux beside
	// net/http/pprof's "GET /debug/pprof/" (see the package doc).
	Pattern = http.MethodGet + " " + Path
	// Version is the answer's format, its "version".
	Version = 1
	// MaxSites is how many site parameters a request may have.
	MaxSites = 20
	// MaxSiteLen is the length a site parameter may have, in bytes.
	MaxSiteLen = 1 << 10
)

// Handler answers GET ?site=SITE&site=… with what holds each site's
// objects in the service's heap, as JSON (see the package doc).
func Handler() http.Handler { return handler{} }

type handler struct{}

// answer is the JSON a request gets.
type answer struct {
	Version int                       `json:"version"`
	Results map[string]*retain.Result `json:"results,omitempty"`
	Error   string                    `json:"error,omitempty"`
}

// capture is retain.Capture; a test replaces it.
var capture = retain.Capture

// busy lets one request dump the heap at a time: a second would wait for
// the first (and double the memory spent), so it is told to come back.
var busy = make(chan struct{}, 1)

func (handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		reply(w, http.StatusMethodNotAllowed, answer{Error: fmt.Sprintf("method %s: only GET answers what holds a site's objects", r.Method)})
		return
	}
	sites, err := parseSites(r.URL.RawQuery)
	if err != nil {
		reply(w, http.StatusBadRequest, answer{Error: err.Error()})
		return
	}
	select {
	case busy <- struct{}{}:
		defer func() { <-busy }()
	default:
		w.Header().Set("Retry-After", "10")
		reply(w, http.StatusServiceUnavailable, answer{Error: "another request is dumping the heap: one at a time"})
		return
	}
	res, err := capture(sites)
	if err != nil {
		status := http.StatusInternalServerError
		var ue *retain.UnavailableError
		if errors.As(err, &ue) {
			status = http.StatusServiceUnavailable
		}
		reply(w, status, answer{Error: err.Error()})
		return
	}
	reply(w, http.StatusOK, answer{Results: res})
}

// parseSites reads the site parameters: one at least, MaxSites at most,
// each non-empty UTF-8 of MaxSiteLen bytes at most; a site asked twice is
// asked once. Other parameters are left alone (a later version may add
// some).
func parseSites(rawQuery string) ([]string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("the query does not parse: %v", err)
	}
	asked := q["site"]
	switch {
	case len(asked) == 0:
		return nil, errors.New(`no site: ask ?site=SITE, SITE an allocation site named as leakslope's heap symbols name it ("store.newSession store.go:38")`)
	case len(asked) > MaxSites:
		return nil, fmt.Errorf("%d sites: at most %d a request", len(asked), MaxSites)
	}
	var sites []string
	seen := map[string]bool{}
	for i, s := range asked {
		switch {
		case s == "":
			return nil, fmt.Errorf("site %d is empty", i+1)
		case len(s) > MaxSiteLen:
			return nil, fmt.Errorf("site %d is %d bytes long: at most %d", i+1, len(s), MaxSiteLen)
		case !utf8.ValidString(s):
			return nil, fmt.Errorf("site %d is not UTF-8", i+1)
		}
		if !seen[s] {
			seen[s] = true
			sites = append(sites, s)
		}
	}
	return sites, nil
}

func reply(w http.ResponseWriter, status int, a answer) {
	a.Version = Version
	body, err := json.Marshal(a)
	if err != nil {
		// Results are plain numbers and strings: this does not happen.
		status, body = http.StatusInternalServerError, []byte(fmt.Sprintf(`{"version":%d,"error":"encoding the answer failed"}`, Version))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
