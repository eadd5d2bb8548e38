package leaktest_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/retain"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

type heldSession struct {
	id  int
	buf [200]byte
}

// heldSessions is what the leak below is held by.
var heldSessions = map[int]*heldSession{}

// TestHeldBy: a leaking heap site names what holds it — the package
// variable, the map's tables, the sessions — in the message, the JSON and
// the page.
func TestHeldBy(t *testing.T) {
	defer clear(heldSessions)
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		heldSessions[i] = &heldSession{id: i}
		return nil
	}), leaktest.Workers(1), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	leaks := rep.Leaks()
	if len(leaks) == 0 || leaks[0].Kind() != leaktest.KindHeapBytes {
		t.Fatalf("no heap leak:\n%s", rep)
	}
	v := leaks[0]
	if v.HeldBy == nil || len(v.HeldBy.Paths) == 0 {
		t.Fatalf("no held by for %s; warnings %q", v.Symbol, rep.Warnings)
	}
	p := v.HeldBy.Paths[0]
	const root = "var github.com/leakslope/leakslope/leaktest_test.heldSessions"
	last := p.Hops[len(p.Hops)-1]
	if p.Root != root || p.RootKind != leaktest.RootGlobal || last.Site != v.Symbol.Site() || p.Objects < int64(v.Last/256) {
		t.Errorf("path %+v, want %s → … → %s", p, root, v.Symbol.Site())
	}

	text := rep.String()
	for _, want := range []string{"held by (", root + "  [global]", "→ map table allocated at " + v.Symbol.Site(), "→ object allocated at " + v.Symbol.Site()} {
		if !strings.Contains(text, want) {
			t.Errorf("the message lacks %q:\n%s", want, text)
		}
	}
	// held by comes before the allocation stack, in the leak's block.
	if strings.Index(text, "held by") > strings.Index(text, "allocated at\n") {
		t.Errorf("held by after the stack:\n%s", text)
	}

	var js struct {
		Verdicts []struct {
			Symbol     string `json:"symbol"`
			Decision   string `json:"decision"`
			RetainedBy []struct {
				Root          string   `json:"root"`
				RootKind      string   `json:"root_kind"`
				Path          []string `json:"path"`
				Objects       int64    `json:"objects"`
				Bytes         int64    `json:"bytes"`
				RetainedBytes int64    `json:"retained_bytes"`
			} `json:"retained_by"`
		} `json:"verdicts"`
	}
	readReportJSON(t, rep, &js)
	for _, jv := range js.Verdicts {
		if jv.Decision != "leak" || !strings.HasPrefix(jv.Symbol, "heap.") {
			if len(jv.RetainedBy) > 0 {
				t.Errorf("%s (%s) has retained_by", jv.Symbol, jv.Decision)
			}
			continue
		}
		if len(jv.RetainedBy) == 0 {
			t.Errorf("%s: no retained_by in the JSON", jv.Symbol)
			continue
		}
		r := jv.RetainedBy[0]
		if r.Root != root || r.RootKind != "global" || r.Path[len(r.Path)-1] != v.Symbol.Site() || r.Objects == 0 || r.Bytes == 0 || r.RetainedBytes < r.Bytes {
			t.Errorf("%s: retained_by %+v", jv.Symbol, r)
		}
	}
	page, err := os.ReadFile(rep.Artifacts[leaktest.ArtifactHTML])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "Held by: <code>"+string(v.Symbol)) || !strings.Contains(string(page), "<code>"+root) {
		t.Errorf("report.html shows no held-by tree")
	}
}

// TestNoLeakNoDump: a clean run never writes a heap dump.
func TestNoLeakNoDump(t *testing.T) {
	before := retain.Captures.Load()
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		_ = make([]byte, 64)
		return nil
	}), leaktest.Workers(1), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil || rep.Failed() {
		t.Fatalf("%v\n%s", err, rep)
	}
	if n := retain.Captures.Load() - before; n != 0 {
		t.Errorf("a clean run wrote %d heap dumps", n)
	}
}

// remoteProbe is a service seen from outside, as probe.Pprof sees one:
// an exact heap total that grows, sampled sites too coarse to decide
// (one grows, one is flat), and a Holder that says what holds any site.
type remoteProbe struct {
	leaked *atomic.Int64

	mu    sync.Mutex
	asked [][]string
}

const (
	siteGrow = "app.remember app.go:12"
	siteFlat = "app.cache app.go:30"
)

func (p *remoteProbe) Name() string { return "remote" }

func (p *remoteProbe) Take(context.Context) ([]leaktest.Sample, error) {
	n := float64(p.leaked.Load())
	return []leaktest.Sample{
		{Symbol: leaktest.SymRuntimeHeapBytes, Value: 1<<20 + 4096*n},
		{Symbol: leaktest.Sym(leaktest.KindHeapBytes, siteGrow), Value: 4096 * n},
		{Symbol: leaktest.Sym(leaktest.KindHeapBytes, siteFlat), Value: 1 << 16},
	}, nil
}

// Resolution: the sites are sampled far too coarsely to rule anything out.
func (p *remoteProbe) Resolution(sym leaktest.Symbol, span float64) float64 {
	if sym.Kind() != leaktest.KindHeapBytes {
		return 0
	}
	return 1e12 / span
}

func (p *remoteProbe) HeldBy(_ context.Context, sites []string) (map[string]*leaktest.HeldBy, error) {
	p.mu.Lock()
	p.asked = append(p.asked, slices.Clone(sites))
	p.mu.Unlock()
	out := map[string]*leaktest.HeldBy{}
	for _, s := range sites {
		out[s] = &leaktest.HeldBy{Objects: 40, Bytes: 40 * 4096, Paths: []leaktest.RetentionPath{
			{Root: "var example.com/app.sessions", RootKind: leaktest.RootGlobal, Path: []string{"app.remember app.go:13", s},
				Hops:    []leaktest.Hop{{Site: "app.remember app.go:13", What: "slice", Repeat: 1}, {Site: s, What: "object", Repeat: 1}},
				Objects: 38, Bytes: 38 * 4096, RetainedBytes: 40 * 4096},
			{Root: "app.worker app.go:50", RootKind: leaktest.RootGoroutine, Path: []string{s},
				Hops: []leaktest.Hop{{Site: s, What: "object", Repeat: 1}}, Objects: 2, Bytes: 2 * 4096, RetainedBytes: 2 * 4096},
		}}
	}
	return out, nil
}

// A remote run proves the exact heap total, and names the sampled sites
// that grew most under it without a verdict of their own: the Holder is
// asked about those suspects too, and the message shows the top path of
// each under it; the verdict carries it, and the JSON as "retained_by".
func TestSuspectsUnderALeakingHeapTotalSayWhatHoldsThem(t *testing.T) {
	var leaked atomic.Int64
	p := &remoteProbe{leaked: &leaked}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		if i%10 == 0 {
			leaked.Add(1)
		}
		return nil
	}), leaktest.WithProbes(p), leaktest.WithBudget("runtime.heap.bytes <= 0B/op"), leaktest.WithBudget("heap.bytes:* <= 1KiB/op"),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(),
		leaktest.ArtifactsDir(t.TempDir()), leaktest.MaxDuration(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	msg := rep.String()
	if len(p.asked) != 1 || !slices.Equal(p.asked[0], []string{siteGrow}) {
		t.Fatalf("asked %q, want once, the growing suspect alone\n%s", p.asked, msg)
	}
	var grow, flat *leaktest.Verdict
	for i, v := range rep.Verdicts {
		switch v.Symbol.Site() {
		case siteGrow:
			grow = &rep.Verdicts[i]
		case siteFlat:
			flat = &rep.Verdicts[i]
		}
	}
	if grow == nil || flat == nil || grow.Decision != leaktest.Undecided || grow.HeldBy == nil || flat.HeldBy != nil {
		t.Fatalf("verdicts %+v %+v, want the growing site undecided with what holds it, the flat one without\n%s", grow, flat, msg)
	}
	_, under, ok := strings.Cut(msg, "growing most, not proven on their own (the heap profile is sampled):\n")
	want := "        heap.bytes:" + siteGrow + "  "
	if !ok || !strings.HasPrefix(under, want) {
		t.Fatalf("no suspect %q in:\n%s", want, msg)
	}
	_, under, _ = strings.Cut(under, "\n")
	wantHeld := `            held by (38 of 40 objects, 152 KiB; the path retains 160 KiB)
                var example.com/app.sessions  [global]
                → slice allocated at app.remember app.go:13
                → object allocated at app.remember app.go:12
            ... 1 more path (in the JSON report)
`
	if !strings.HasPrefix(under, wantHeld) {
		t.Errorf("under the suspect:\n%s\nwant:\n%s\nin:\n%s", under, wantHeld, msg)
	}

	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Verdicts []struct {
			Symbol     string                   `json:"symbol"`
			Decision   string                   `json:"decision"`
			RetainedBy []leaktest.RetentionPath `json:"retained_by"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	for _, v := range j.Verdicts {
		want := 0
		if v.Symbol == "heap.bytes:"+siteGrow {
			want = 2
		}
		if len(v.RetainedBy) != want {
			t.Errorf("%s (%s): %d retained_by paths, want %d", v.Symbol, v.Decision, len(v.RetainedBy), want)
		}
		if want > 0 && (v.RetainedBy[0].Root != "var example.com/app.sessions" || v.RetainedBy[0].RootKind != leaktest.RootGlobal) {
			t.Errorf("%s: %+v", v.Symbol, v.RetainedBy[0])
		}
	}
}

// TestHeldByTheTarget: a leak kept by the op's own closure (a map it
// captured) is held by the target; leakslope's hammer, which holds the
// target, is not what the reader is shown.
func TestHeldByTheTarget(t *testing.T) {
	kept := map[int][]byte{}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		kept[i] = make([]byte, 100)
		return nil
	}), leaktest.Workers(1), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	leaks := rep.Leaks()
	if len(leaks) == 0 || leaks[0].HeldBy == nil || len(leaks[0].HeldBy.Paths) == 0 {
		t.Fatalf("no held-by for the leak:\n%s", rep)
	}
	p := leaks[0].HeldBy.Paths[0]
	// The op's func was made before Run began profiling, so its first
	// hops are "allocated before profiling began"; the map's own tables
	// then carry the op's line.
	if p.Root != "the target (held by leakslope's hammer)" || p.RootKind != leaktest.RootGoroutine || p.RootSite != "" {
		t.Errorf("root %q [%s] %q; want the target\n%s", p.Root, p.RootKind, p.RootSite, rep)
	}
	if h := p.Hops[len(p.Hops)-1]; h.Site != leaks[0].Symbol.Site() {
		t.Errorf("last hop %+v, want the leaking site", h)
	}
	if !strings.Contains(rep.String(), "        the target (held by leakslope's hammer)  [goroutine]\n") {
		t.Errorf("the message does not show the target as the root:\n%s", rep)
	}
	for _, h := range p.Hops {
		if strings.HasPrefix(h.Site, "runner.") || strings.HasPrefix(h.Site, "leaktest.") {
			t.Errorf("a hop of leakslope's own: %+v", h)
		}
	}
}

// readReportJSON reads a report's report.json into v, and returns it.
func readReportJSON(t *testing.T, rep *leaktest.Report, v any) []byte {
	t.Helper()
	b, err := os.ReadFile(rep.Artifacts[leaktest.ArtifactJSON])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	return b
}
