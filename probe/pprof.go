package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leakslope/leakslope/heldby"
	"github.com/leakslope/leakslope/internal/clean"
	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/leaktest"
)

// Pprof is a probe of a Go service by the base URL of its net/http/pprof
// handlers ("http://127.0.0.1:6060/debug/pprof"): heap.bytes:SITE and
// heap.objects:SITE from /heap?gc=1&debug=1 (in-use, by allocation site,
// charged as the in-process probe charges them), runtime.heap.bytes (the
// service's runtime.MemStats.HeapAlloc, which that page ends with),
// goroutines:SITE from /goroutine?debug=2 (by creation site), and
// runtime.goroutines.
//
// runtime.heap.bytes is exact: HeapAlloc is read right after the
// collection gc=1 forces (the second of two, as the in-process probe
// makes, so sync.Pool's victims are gone too), which at a quiesce point is
// the live heap plus the little the profile request itself allocated, the
// same at every snapshot. It has no default budget (in process it is a
// chart only): give one with leaktest.WithBudget, as the CLI's --pprof does after
// the user's budgets ("runtime.heap.bytes <= 8B/op", 1MiB/h for watch;
// not 0, since the runtime's own bookkeeping creeps up to high-water
// marks as a service runs). A pprof handler that is not the standard one
// may leave the MemStats out: then there is no runtime.heap.bytes, and
// the report says so.
//
// Its sites are sampled (one sample per 512 KiB allocated, unless the
// service changed runtime.MemProfileRate) and scaled up, so a site that
// leaks a little per snapshot interval moves in rare, large steps: the
// decision rule stays honest (no false leaks on clean endpoints), but such
// a site may stay undecided, and the report says so; runtime.heap.bytes
// still sees the growth, without naming the site. Goroutine counts are
// exact. The first and last heap profiles are written as the report's
// profiles (gzipped protos). An endpoint that stops answering, or answers
// over 256 MiB, fails the snapshot with an error naming the URL, which
// ends the run with the report so far.
//
// At the end of a run or watch that found a heap leak, it asks the
// service's package heldby handler, mounted at BASE/heldby (heldby.Path
// beside the standard /debug/pprof), what holds the objects of the
// leaking sites and of the sites growing most under a leaking heap total:
// the report's "held by" blocks. A service without it answers 404, and
// the report says how to mount it.
//
// It implements leaktest's Describer, Sampler, Profiler, Warner and
// Holder.
func Pprof(baseURL string, opts ...PprofOption) leaktest.Probe {
	base := strings.TrimRight(baseURL, "/")
	p := &pprofProbe{base: base, shown: clean.URL(base), client: &http.Client{Timeout: 30 * time.Second}, limit: dump.MaxInput}
	for _, o := range opts {
		o.apply(p)
	}
	return p
}

// PprofOption tunes the Pprof probe.
type PprofOption interface{ apply(*pprofProbe) }

type pprofOption func(*pprofProbe)

func (f pprofOption) apply(p *pprofProbe) { f(p) }

// MaxResponse bounds what one response of the endpoint may have, and what
// a gzipped profile may inflate to; 256 MiB (a legacy text heap profile
// of a large service is some MiB). A response over it fails the snapshot
// with an error naming the URL and the bound. bytes < 1 keeps the default.
func MaxResponse(bytes int64) PprofOption {
	return pprofOption(func(p *pprofProbe) {
		if bytes > 0 {
			p.limit = bytes
		}
	})
}

type pprofProbe struct {
	base   string
	shown  string // base with its secrets redacted, for names and messages
	client *http.Client
	limit  int64 // bytes a response may have

	set         dump.Set // the last heap profile and goroutine dump
	first, last *dump.HeapProfile
	noMemStats  error // why the last heap page had no runtime.MemStats

	noHeldBy    bool // BASE/heldby answered 404: the handler is not mounted
	heldByAsked int  // sites asked of BASE/heldby
	heldByLeft  int  // sites not asked: over heldby's bounds
	// noLeakProfile: BASE/goroutineleak answered 404, a service built
	// with a Go older than 1.27.
	noLeakProfile bool
	// before holds the ids of the service's goroutines at the first
	// snapshot: Blocked leaves them out (ids are never reused).
	before map[uint64]bool
}

func (p *pprofProbe) Name() string { return "pprof " + p.shown }

func (p *pprofProbe) get(ctx context.Context, path string) ([]byte, error) {
	_, body, err := p.fetch(ctx, p.client, path, p.shown+path, func(status int) bool { return status == http.StatusOK })
	return body, err
}

// fetch GETs base+path, named shown in messages (without the URL's
// secrets). The body of a status read accepts is read, within the limit;
// any other status is an error with the start of the body.
func (p *pprofProbe) fetch(ctx context.Context, client *http.Client, path, shown string, read func(status int) bool) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path, nil)
	if err != nil {
		err = withoutURL(err)
		return 0, nil, fmt.Errorf("pprof base URL %q: %v", p.shown, err)
	}
	resp, err := client.Do(req)
	if err != nil {
		err = withoutURL(err)
		return 0, nil, fmt.Errorf("GET %s: the endpoint is not answering: %v", shown, err)
	}
	defer resp.Body.Close()
	if !read(resp.StatusCode) {
		// The start of the body says why; the rest is not read.
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		return resp.StatusCode, nil, fmt.Errorf("GET %s: %s: %s", shown, resp.Status, clip(string(bytes.TrimSpace(body))))
	}
	body, err := dump.ReadAll("GET "+shown, resp.Body, p.limit)
	var tl *dump.TooLargeError
	if errors.As(err, &tl) {
		return resp.StatusCode, nil, fmt.Errorf("GET %s: the response is over the %s limit of a pprof response (probe.MaxResponse, --max-input)", shown, units.Bytes(float64(p.limit)))
	}
	return resp.StatusCode, body, err
}

// withoutURL drops a *url.Error's URL, which has its secrets: the
// message names the URL redacted itself.
func withoutURL(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:197] + "..."
	}
	return s
}

func (p *pprofProbe) Take(ctx context.Context) ([]leaktest.Sample, error) {
	// Two collections, as the in-process probe makes: the profile
	// publishes a cycle late, and sync.Pool's victims need two to go.
	// The second request is the legacy text form
	// (debug=1) rather than the proto: it is the same profile (the same
	// records, scaled alike; dump.ParseHeapProfile names its frames from
	// the text) and it ends with the runtime.MemStats read right after
	// that collection, so the exact heap total costs no third request
	// and no third collection, and is read at the same instant as the
	// sites. What the text lacks (the binary's mapping) the sites do not
	// need; the first/last profiles are written as protos anew. The text
	// is the larger (every record's frames written out: some MiB for a
	// large service, within the bound on a response).
	if _, err := p.get(ctx, "/heap?gc=1"); err != nil {
		return nil, err
	}
	const heapPage = "/heap?gc=1&debug=1"
	raw, err := p.get(ctx, heapPage)
	if err != nil {
		return nil, err
	}
	at := time.Now()
	heap, err := dump.ParseHeapProfile(p.shown+heapPage, bytes.NewReader(raw), p.limit)
	if err != nil {
		return nil, err
	}
	if heap.Time.IsZero() {
		heap.Time = at
	}
	var samples []leaktest.Sample
	ms, err := dump.ParseMemStats(p.shown+heapPage, bytes.NewReader(raw))
	switch {
	case err == nil:
		p.noMemStats = nil
		samples = append(samples, leaktest.Sample{Symbol: leaktest.SymRuntimeHeapBytes, Value: float64(ms.HeapAlloc)})
	case errors.Is(err, dump.ErrNoMemStats):
		p.noMemStats = err // a handler of its own: sites only
	default:
		return nil, err
	}
	text, err := p.get(ctx, "/goroutine?debug=2")
	if err != nil {
		return nil, err
	}
	gor, err := dump.ParseGoroutines(p.shown+"/goroutine?debug=2", bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	if p.before == nil {
		p.before = make(map[uint64]bool, len(gor.IDs))
		for _, id := range gor.IDs {
			p.before[id] = true
		}
	}
	p.set, p.last = dump.Set{Heap: heap, Goroutines: gor}, heap
	p.set.Values(func(kind, site string, v float64) {
		samples = append(samples, leaktest.Sample{Symbol: leaktest.Sym(leaktest.Kind(kind), site), Value: v})
	})
	return append(samples, leaktest.Sample{Symbol: leaktest.SymRuntimeGoroutine, Value: float64(gor.Total)}), nil
}

// KeepFirst keeps the heap profile just read as the first.
func (p *pprofProbe) KeepFirst() { p.first = p.last }

// Profiles gives the first and last heap profiles as gzipped protos,
// encoded only now: a run keeps two parsed profiles, not one per snapshot.
func (p *pprofProbe) Profiles() (first, last []byte) {
	if p.first == nil || p.last == nil {
		return nil, nil
	}
	first, err1 := p.first.Proto()
	last, err2 := p.last.Proto()
	if err1 != nil || err2 != nil {
		return nil, nil
	}
	return first, last
}

// Describe names a heap or goroutine symbol from the last profile and
// dump read.
func (p *pprofProbe) Describe(sym leaktest.Symbol) (leaktest.Origin, bool) {
	o, ok := p.set.Describe(string(sym.Kind()), sym.Site())
	return leaktest.Origin(o), ok
}

// Resolution is the sampled heap profile's: see dump.Set.Resolution.
func (p *pprofProbe) Resolution(sym leaktest.Symbol, span float64) float64 {
	return p.set.Resolution(string(sym.Kind()), sym.Site(), span)
}

// Blocked asks the service's runtime which goroutines are blocked
// forever: BASE/goroutineleak?debug=2 runs Go 1.27's goroutine leak
// detection and prints every goroutine, those it found marked
// "(leaked)". Those alive at the first snapshot are left out. A service
// built with an older Go answers 404: no answer and no error; Warnings
// says so. Profiler labels do not cross the network, so none is Labeled:
// the run charges itself with those of the sites that grew while it ran.
func (p *pprofProbe) Blocked(ctx context.Context, run string) (map[leaktest.Symbol]*leaktest.Blocked, error) {
	const page = "/goroutineleak?debug=2"
	status, body, err := p.fetch(ctx, p.client, page, p.shown+page, func(status int) bool { return status == http.StatusOK })
	if status == http.StatusNotFound {
		p.noLeakProfile = true
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := dump.ParseLeakedGoroutines(p.shown+page, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out := make(map[leaktest.Symbol]*leaktest.Blocked, len(d.Sites))
	for site, s := range d.Sites {
		b := &leaktest.Blocked{}
		for _, g := range s.Leaked {
			if p.before[g.ID] {
				continue
			}
			if b.Goroutines == 0 {
				b.Wait, b.Stack = g.Wait, s.Stacks[g.Key]
			}
			b.Goroutines++
		}
		if b.Goroutines > 0 {
			out[leaktest.Sym(leaktest.KindGoroutines, site)] = b
		}
	}
	return out, nil
}

// HeldBy asks the service's heldby handler (BASE/heldby) what holds the
// objects of the sites: one request, so one heap dump in the service, for
// the first heldby.MaxSites sites. A service that does not mount the
// handler (404) gives no answer and no error; Warnings says how to mount
// it.
func (p *pprofProbe) HeldBy(ctx context.Context, sites []string) (map[string]*leaktest.HeldBy, error) {
	p.noHeldBy, p.heldByLeft = false, 0
	var ask []string
	for _, s := range sites {
		switch {
		case s == "" || len(s) > heldby.MaxSiteLen || !utf8.ValidString(s), len(ask) == heldby.MaxSites:
			p.heldByLeft++
		default:
			ask = append(ask, s)
		}
	}
	p.heldByAsked = len(ask)
	if len(ask) == 0 {
		return nil, nil
	}
	shown := p.shown + "/heldby"
	// A heap dump of a large service and its analysis take longer than a
	// profile: the run's context (leaktest gives two minutes) bounds it,
	// not the client's 30 s.
	slow := *p.client
	slow.Timeout = 0
	status, body, err := p.fetch(ctx, &slow, "/heldby?"+neturl.Values{"site": ask}.Encode(), shown, func(int) bool { return true })
	if err != nil {
		return nil, err
	}
	var a struct {
		Version int                         `json:"version"`
		Results map[string]*leaktest.HeldBy `json:"results"`
		Error   string                      `json:"error"`
	}
	jerr := json.Unmarshal(body, &a)
	switch {
	case status == http.StatusNotFound:
		p.noHeldBy = true
		return nil, nil
	case status != http.StatusOK && jerr == nil && a.Error != "":
		return nil, fmt.Errorf("GET %s: %d %s: %s", shown, status, http.StatusText(status), clip(a.Error))
	case status != http.StatusOK:
		return nil, fmt.Errorf("GET %s: %d %s: %s", shown, status, http.StatusText(status), clip(string(bytes.TrimSpace(body))))
	case jerr != nil:
		return nil, fmt.Errorf("GET %s: not an answer of package heldby: %v", shown, jerr)
	case a.Version != heldby.Version:
		return nil, fmt.Errorf("GET %s: the answer is heldby's version %d, and this leakslope reads version %d", shown, a.Version, heldby.Version)
	case a.Error != "":
		return nil, fmt.Errorf("GET %s: %s", shown, clip(a.Error))
	}
	return a.Results, nil
}

// Warnings says when the service gave no runtime.MemStats, what the
// sampling left undecided or unseen, and when what holds its leaks could
// not be asked.
func (p *pprofProbe) Warnings(rep *leaktest.Report) []string {
	var out []string
	if p.noMemStats != nil {
		out = append(out, fmt.Sprintf("%v: no runtime.heap.bytes from this service, whose heap is seen only through the sampled sites", p.noMemStats))
	}
	if p.noHeldBy {
		out = append(out, fmt.Sprintf("%s/heldby: 404: mount github.com/leakslope/leakslope/heldby at %s/heldby to see what holds the leaking sites", p.shown, p.shown))
	}
	if p.noLeakProfile {
		out = append(out, fmt.Sprintf("%s/goroutineleak: 404: the service's Go has no goroutine leak profile (Go 1.27 has): goroutines blocked forever were not looked for", p.shown))
	}
	if p.heldByLeft > 0 {
		out = append(out, fmt.Sprintf("%s/heldby was asked what holds %d leaking or suspect %s (one heap dump a request, at most %d sites); %d more %s not asked",
			p.shown, p.heldByAsked, plural(p.heldByAsked, "site", "sites"), heldby.MaxSites, p.heldByLeft, plural(p.heldByLeft, "was", "were")))
	}
	period := p.set.Period()
	if period == 0 {
		return out
	}
	n, heap := 0, 0
	for _, v := range rep.Verdicts {
		if k := v.Kind(); k == leaktest.KindHeapBytes || k == leaktest.KindHeapObjects {
			heap++
			if v.Decision == leaktest.Undecided && v.Trend.Resolution > 0 {
				n++
			}
		}
	}
	switch {
	case heap == 0 && len(rep.Snapshots) > 1:
		// Nothing sampled is not nothing allocated.
		per, span := "op", float64(rep.Ops)
		if rep.Axis == leaktest.AxisSeconds {
			per, span = "s", rep.Duration.Seconds()
		}
		if span > 0 {
			out = append(out, fmt.Sprintf("no live heap allocation of %s was sampled at any snapshot: the heap profile is sampled (one sample per %s allocated), so growth under %s/%s is not ruled out",
				p.shown, units.Bytes(float64(period)), units.Bytes(3*float64(period)/span), per))
		}
	case n > 0:
		out = append(out, dump.SampledWarning(n, p.shown, period, "a longer run"))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
