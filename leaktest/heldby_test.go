package leaktest_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

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
	b, err := os.ReadFile(rep.Artifacts[leaktest.ArtifactJSON])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
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
