package retain

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

type leaked struct {
	id  int
	pad [56]byte
}

// sampledHolder holds, in one array allocated unprofiled, objects
// allocated unprofiled (leaves of no site) and the leaked objects.
var sampledHolder []any

var spent *[64]byte

//go:noinline
func newLeaked(i int) *leaked {
	return &leaked{id: i} // site:sampled
}

// With a sampled profile, a hop whose allocation was not sampled is
// labelled so (not "allocated before profiling began"), and the
// unprofiled leaves beside the path do not count as a chain at its hop.
func TestSampledProfileLabelsUnsampledHops(t *testing.T) {
	old := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = old; sampledHolder = nil })
	// A P's first allocation after the rate changes is profiled whatever
	// the rate: one P, and a first allocation to spend it on.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	runtime.MemProfileRate = 0 // no allocation is profiled
	spent = new([64]byte)
	arr := make([]any, 0, 300)
	for range 100 {
		arr = append(arr, new([64]byte))
	}
	runtime.MemProfileRate = 1 // every allocation is
	for i := range 100 {
		arr = append(arr, newLeaked(i))
	}
	sampledHolder = arr
	runtime.MemProfileRate = 512 << 10 // as a service's: sampled

	src, err := os.ReadFile("hops_test.go")
	if err != nil {
		t.Fatal(err)
	}
	line := slices.IndexFunc(strings.Split(string(src), "\n"), func(l string) bool { return strings.HasSuffix(l, "// site:sampled") }) + 1
	site := fmt.Sprintf("retain.newLeaked hops_test.go:%d", line)
	res, err := Capture([]string{site})
	if err != nil {
		t.Fatal(err)
	}
	r := res[site]
	if r == nil || len(r.Paths) == 0 {
		t.Fatalf("no paths: %+v", r)
	}
	p := r.Paths[0]
	t.Logf("%s [%s]: %q %+v; notes %q", p.Root, p.RootKind, p.Path, p.Hops, r.Notes)
	if p.Root != "var github.com/leakslope/leakslope/internal/retain.sampledHolder" || p.Objects != 100 || r.Objects != 100 {
		t.Errorf("root %q holds %d of %d objects, want sampledHolder holding all 100", p.Root, p.Objects, r.Objects)
	}
	want := []Hop{{What: "", Repeat: 1, Unsampled: true}, {Site: site, What: "object", Repeat: 1}}
	if !slices.Equal(p.Hops, want) || !slices.Equal(p.Path, []string{notSampled, site}) {
		t.Errorf("hops %+v, path %q; want %+v, [%q %q]", p.Hops, p.Path, want, notSampled, site)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "the heap profile is sampled") }) {
		t.Errorf("notes %q do not say the profile is sampled", r.Notes)
	}
}

type listNode struct {
	next    *listNode
	payload *[32]byte
}

var listHead *listNode

//go:noinline
func buildList(n int) {
	for range n {
		nd := &listNode{next: listHead} // site:node
		nd.payload = new([32]byte)      // site:payload
		listHead = nd
	}
}

// A chain of one site's objects is one hop, counted: for the payloads it
// leads to, and for its own objects.
func TestAChainIsOneHopCounted(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	t.Cleanup(func() { runtime.MemProfileRate = old; listHead = nil })
	const n = 50
	buildList(n)
	siteOf := func(mark string) string { return siteIn(t, "hops_test.go", "buildList", mark) }
	node, payload := siteOf("site:node"), siteOf("site:payload")
	res, err := Capture([]string{node, payload})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		site string
		hops []Hop
	}{
		{node, []Hop{{Site: node, What: "object", Repeat: n}}},
		{payload, []Hop{{Site: node, What: "object", Repeat: n}, {Site: payload, What: "object", Repeat: 1}}},
	} {
		r := res[c.site]
		if r == nil || len(r.Paths) != 1 || r.Objects != n {
			t.Errorf("%s: %+v, want %d objects on one path", c.site, r, n)
			continue
		}
		p := r.Paths[0]
		if p.Root != "var github.com/leakslope/leakslope/internal/retain.listHead" || !slices.Equal(p.Hops, c.hops) || p.Objects != n {
			t.Errorf("%s: %s %+v (%d objects), want listHead %+v", c.site, p.Root, p.Hops, p.Objects, c.hops)
		}
	}
}
