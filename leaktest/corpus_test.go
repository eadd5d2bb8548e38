package leaktest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
)

// markerLines finds the lines of workloads_test.go carrying "LEAK name".
func markerLines(t *testing.T, name string) map[string]bool {
	t.Helper()
	return markerLinesFile(t, "workloads_test.go", name)
}

func markerLinesFile(t *testing.T, file, name string) map[string]bool {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.HasSuffix(sc.Text(), "// LEAK "+name) {
			lines[fmt.Sprintf("%s:%d", file, n)] = true
		}
	}
	if len(lines) == 0 {
		t.Fatalf("no LEAK %s marker in %s", name, file)
	}
	return lines
}

func runWorkload(t *testing.T, w workload, opts ...leaktest.Option) *leaktest.Report {
	t.Helper()
	target, teardown := w.target()
	defer teardown()
	rep, err := leaktest.Run(context.Background(), target, append([]leaktest.Option{leaktest.Name("corpus-" + w.name)}, opts...)...)
	if err != nil {
		t.Fatalf("run failed: %v\n%s", err, rep)
	}
	return rep
}

// corpusCap is the corpus runs' MaxDuration. A run ends once decided
// (seconds under -race), but a verdict at the default 30s cap is timing:
// http-body-not-closed takes 11s under -race alone, more beside other
// packages and a busy CPU.
const corpusCap = 2 * time.Minute

func TestCorpus(t *testing.T) {
	for _, w := range workloads {
		t.Run(w.name, func(t *testing.T) {
			rep := runWorkload(t, w, append([]leaktest.Option{leaktest.MaxDuration(corpusCap)}, w.opts...)...)
			leaks := rep.Leaks()
			if !w.leak {
				if len(leaks) > 0 {
					t.Fatalf("clean workload got a leak verdict:\n%s", rep)
				}
				if rep.Stopped != leaktest.StopDecided {
					t.Errorf("clean workload undecided at the cap (stopped: %s):\n%s", rep.Stopped, rep)
				}
				return
			}
			if len(leaks) == 0 {
				t.Fatalf("leaky workload passed:\n%s", rep)
			}
			var found bool
			var want map[string]bool
			if w.marker != "" {
				file := w.file
				if file == "" {
					file = "workloads_test.go"
				}
				want = markerLinesFile(t, file, w.marker)
			}
			for _, v := range leaks {
				if v.Kind() != w.kind {
					continue
				}
				if want == nil || want[v.Site] {
					found = true
				}
			}
			if !found {
				t.Fatalf("no %s leak naming %v:\n%s", w.kind, keys(want), rep)
			}
			// Every heap leak says what holds it: a path from a root to
			// the leaking site's objects.
			for _, v := range leaks {
				if v.Kind() != leaktest.KindHeapBytes {
					continue
				}
				h := v.HeldBy
				if h == nil || len(h.Paths) == 0 {
					t.Errorf("%s: no held by (warnings %q)", v.Symbol, rep.Warnings)
					continue
				}
				p := h.Paths[0]
				if last := p.Hops[len(p.Hops)-1]; last.Site != v.Symbol.Site() || p.Objects == 0 || p.Root == "" {
					t.Errorf("%s: held by %+v", v.Symbol, p)
				}
				t.Logf("%s held by %s [%s] %s, %d hops, %d of %d objects", v.Symbol, p.Root, p.RootKind, p.RootSite, len(p.Hops), p.Objects, h.Objects)
			}
			// The failure message names the site and says where the
			// profiles went.
			msg := rep.String()
			for site := range want {
				if strings.Contains(msg, site) {
					goto named
				}
			}
			if want != nil {
				t.Errorf("message does not name %v:\n%s", keys(want), msg)
			}
		named:
			if !strings.Contains(msg, "go tool pprof -diff_base ") && w.kind != "goroutines" {
				t.Errorf("message lacks the pprof diff command:\n%s", msg)
			}
			t.Logf("%s: %d ops, %v", w.name, rep.Ops, rep.Duration)
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
