package retain

import (
	"testing"

	"github.com/leakslope/leakslope/internal/heapdump"
)

// graphOf makes a graph of objects with the given sizes and edges, and
// roots pointing at the given objects.
func graphOf(sizes []uint64, edges map[int32][]int32, roots ...[]int32) *graph {
	g := &graph{d: &heapdump.Dump{}, n: len(sizes)}
	g.off = []uint32{0}
	for i, s := range sizes {
		g.d.Objects = append(g.d.Objects, heapdump.Object{Addr: uint64(i+1) * 0x1000, Size: s})
		g.adj = append(g.adj, edges[int32(i)]...)
		g.off = append(g.off, uint32(len(g.adj)))
	}
	for _, t := range roots {
		g.roots = append(g.roots, &root{targets: t})
		g.adj = append(g.adj, t...)
		g.off = append(g.off, uint32(len(g.adj)))
	}
	return g
}

func TestRetained(t *testing.T) {
	// r0 → 0 → 1 → 3 → 4, 0 → 2 → 3, and r1 → 2: 0 dominates only 1; 3
	// is reached two ways, so only the super root dominates it.
	g := graphOf([]uint64{1, 2, 4, 8, 16}, map[int32][]int32{0: {1, 2}, 1: {3}, 2: {3}, 3: {4}}, []int32{0}, []int32{2})
	got := g.retained()
	want := []int64{1 + 2, 2, 4, 8 + 16, 16}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("retained %v, want %v", got, want)
			break
		}
	}
}

func TestRetainedDeepChainAndCycle(t *testing.T) {
	// A list 100,000 long whose tail points back to its head: the head
	// retains it all, each node what follows it.
	const n = 100000
	sizes := make([]uint64, n)
	edges := map[int32][]int32{}
	for i := range n {
		sizes[i] = 8
		edges[int32(i)] = []int32{int32((i + 1) % n)}
	}
	got := graphOf(sizes, edges, []int32{0}).retained()
	if got[0] != 8*n || got[n-1] != 8 || got[n/2] != 8*(n-n/2) {
		t.Errorf("retained head %d, middle %d, tail %d", got[0], got[n/2], got[n-1])
	}
}
