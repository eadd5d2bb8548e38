package retain

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/leakslope/leakslope/internal/heapdump"
)

// Top is how many paths a Result lists; the rest are counted.
const Top = 5

// tinySize is the runtime's tiny allocator block: objects under it
// without pointers share a block.
const tinySize = 16

type label struct {
	site, what string
	own        bool // leakslope's own allocation
}

// pnode is a node of the trie of paths: a root (label -1) or a hop. A
// chain of objects of one label is one hop.
type pnode struct {
	parent int32 // -1 for a root
	label  int32 // index into labels; for a root, the root's index
	rep    int32 // the longest chain seen at this hop
}

// Analyze says what holds the objects of each site in sites: the objects
// are those whose profiled allocation nm labels with the site.
func Analyze(d *heapdump.Dump, nm Namer, sites []string) map[string]*Result {
	g := build(d, nm)

	// Labels: each bucket's, and each object's from its first sample;
	// label 0 is "allocated before profiling began".
	labels := []label{{}}
	byLabel := map[label]int32{{}: 0}
	bucketLabel := make(map[uint64]int32, len(d.Buckets))
	bucketSize := make(map[uint64]uint64, len(d.Buckets))
	for i := range d.Buckets {
		b := &d.Buckets[i]
		site, what, own := nm.Bucket(b)
		l := label{site, what, own}
		id, ok := byLabel[l]
		if !ok {
			id = int32(len(labels))
			labels = append(labels, l)
			byLabel[l] = id
		}
		bucketLabel[b.Addr], bucketSize[b.Addr] = id, b.Size
	}
	objLabel := make([]int32, g.n)
	for _, s := range d.Samples {
		if o := d.Find(s.Addr); o >= 0 && objLabel[o] == 0 {
			objLabel[o] = bucketLabel[s.Bucket]
		}
	}

	// Paths, in BFS order so a parent's path is known before its
	// children's.
	var trie []pnode
	intern := map[[2]int32]int32{}
	node := func(parent, lab int32) int32 {
		k := [2]int32{parent, lab}
		if id, ok := intern[k]; ok {
			return id
		}
		id := int32(len(trie))
		trie = append(trie, pnode{parent: parent, label: lab})
		intern[k] = id
		return id
	}
	rootPath := make([]int32, len(g.roots))
	for i := range g.roots {
		rootPath[i] = node(-1, int32(i))
		trie[rootPath[i]].label = int32(i)
	}
	pathOf := make([]int32, g.n)
	rep := make([]int32, g.n)
	first := make([]int32, g.n)
	ownRun := make([]bool, g.n)
	// A hop's chain is counted where it leads on (to the next hop) or
	// ends at an object of a site asked about: not at the leaves that
	// merely share its label (with a sampled profile, every unsampled
	// object a hop's objects point to).
	asked := make(map[string]bool, len(sites))
	for _, s := range sites {
		asked[s] = s != ""
	}
	bump := func(id, r int32) {
		if t := &trie[id]; r > t.rep {
			t.rep = r
		}
	}
	for _, v := range g.order {
		p := g.parent[v]
		lab := objLabel[v]
		if g.isRoot(p) {
			pathOf[v], rep[v], first[v] = node(rootPath[int(p)-g.n], lab), 1, v
		} else if tail := pathOf[p]; trie[tail].parent >= 0 && trie[tail].label == lab {
			pathOf[v], rep[v], first[v] = tail, rep[p]+1, first[p]
		} else {
			pathOf[v], rep[v], first[v] = node(tail, lab), 1, first[p]
			if trie[tail].parent >= 0 {
				bump(tail, rep[p])
			}
		}
		if asked[labels[lab].site] {
			bump(pathOf[v], rep[v])
		}
		// From the hammer's frame, the path is shown from the first
		// object that is not leakslope's own (see pathFrom): that is the
		// first object whose retained size the path reports.
		if g.isRoot(p) {
			ownRun[v] = g.roots[int(p)-g.n].own && labels[lab].own
		} else {
			ownRun[v] = ownRun[p] && labels[lab].own
			if ownRun[p] && !ownRun[v] {
				first[v] = v
			}
		}
	}

	want := make(map[string]*Result, len(sites))
	for _, s := range sites {
		want[s] = &Result{Site: s}
	}
	type group struct {
		objects, bytes int64
		firsts         map[int32]bool
	}
	groups := map[string]map[int32]*group{}
	tiny := map[string]int64{}
	for _, s := range d.Samples {
		l := labels[bucketLabel[s.Bucket]]
		r := want[l.site]
		if r == nil || l.site == "" {
			continue
		}
		o := d.Find(s.Addr)
		if o < 0 {
			continue
		}
		size := int64(bucketSize[s.Bucket])
		r.Objects++
		r.Bytes += size
		if size < tinySize && d.Objects[o].Size == tinySize {
			tiny[l.site]++
		}
		gs := groups[l.site]
		if gs == nil {
			gs = map[int32]*group{}
			groups[l.site] = gs
		}
		gr := gs[pathOf[o]]
		if gr == nil {
			gr = &group{firsts: map[int32]bool{}}
			gs[pathOf[o]] = gr
		}
		gr.objects++
		gr.bytes += size
		gr.firsts[first[o]] = true
	}

	var ret []int64
	for _, site := range sites {
		r := want[site]
		gs := groups[site]
		if len(gs) > 0 && ret == nil {
			ret = g.retained()
		}
		// A path that is a prefix of another (the map's own tables on the
		// way to its entries) is counted in the largest path it leads to.
		var ids []int32
		for id := range gs {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b int32) int { return cmp.Or(cmp.Compare(gs[b].objects, gs[a].objects), cmp.Compare(a, b)) })
		for _, id := range ids {
			if gs[id] == nil {
				continue // folded already
			}
			for up := trie[id].parent; up >= 0; up = trie[up].parent {
				if gr := gs[up]; gr != nil && gr.objects <= gs[id].objects {
					gs[id].objects += gr.objects
					gs[id].bytes += gr.bytes
					for f := range gr.firsts {
						gs[id].firsts[f] = true
					}
					delete(gs, up)
				}
			}
		}
		// Paths that read the same (two of leakslope's frames holding
		// the target) are one.
		type shown struct {
			p      Path
			firsts map[int32]bool
		}
		byText := map[string]*shown{}
		for id, gr := range gs {
			p := pathFrom(trie, id, labels, g.roots)
			key := pathKey(p)
			sh := byText[key]
			if sh == nil {
				sh = &shown{p: p, firsts: map[int32]bool{}}
				byText[key] = sh
			} else {
				for i := range sh.p.Hops {
					sh.p.Hops[i].Repeat = max(sh.p.Hops[i].Repeat, p.Hops[i].Repeat)
				}
			}
			sh.p.Objects += gr.objects
			sh.p.Bytes += gr.bytes
			for f := range gr.firsts {
				sh.firsts[f] = true
			}
		}
		var paths []Path
		for _, sh := range byText {
			for f := range sh.firsts {
				sh.p.RetainedBytes += ret[f]
			}
			paths = append(paths, sh.p)
		}
		slices.SortFunc(paths, func(a, b Path) int {
			return cmp.Or(cmp.Compare(b.Objects, a.Objects), cmp.Compare(b.Bytes, a.Bytes), strings.Compare(pathKey(a), pathKey(b)))
		})
		if len(paths) > Top {
			for _, p := range paths[Top:] {
				r.OtherPaths++
				r.OtherObjects += p.Objects
				r.OtherBytes += p.Bytes
			}
			paths = paths[:Top]
		}
		r.Paths = paths
		if r.Objects == 0 {
			r.Notes = append(r.Notes, "no object of this site is in the heap dump: freed since the last snapshot, or never profiled")
		}
		if n := tiny[site]; n > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("%d of its objects are tiny (under %d B, no pointers) and share %d-byte blocks with others: a path holds the block", n, tinySize, tinySize))
		}
	}
	return want
}

// pathKey is a path as it reads: root, kind, root site, and each hop.
func pathKey(p Path) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%s\x00%s", p.Root, p.RootKind, p.RootSite)
	for _, h := range p.Hops {
		fmt.Fprintf(&b, "\x00%s\x00%s\x00%v", h.Site, h.What, h.BeforeProfiling)
	}
	return b.String()
}

// How a path names a hop whose site is not known.
const (
	beforeProfiling = "(allocated before profiling began)"
	notSampled      = "(not sampled)"
)

// pathFrom spells out a trie node's path, root first.
func pathFrom(trie []pnode, id int32, labels []label, roots []*root) Path {
	var hops []Hop
	var own []bool
	for ; trie[id].parent >= 0; id = trie[id].parent {
		t := trie[id]
		l := labels[t.label]
		hops = append(hops, Hop{Site: l.site, What: l.what, Repeat: int(max(t.rep, 1)), BeforeProfiling: t.label == 0})
		own = append(own, l.own)
	}
	slices.Reverse(hops)
	slices.Reverse(own)
	r := roots[trie[id].label]
	p := Path{Root: r.name, RootKind: r.kind, RootSite: r.site, Hops: hops}
	// A path from the hammer's or the run's frame holds the user's
	// objects through the target (the op's func and what it captured):
	// it is shown from there, leakslope's own objects left out. (Those
	// made before profiling began, the target's func among them, stay:
	// whose they are is not known.)
	if r.own {
		n := 0
		for n < len(hops)-1 && own[n] {
			n++
		}
		p.Hops = hops[n:]
		p.Root, p.RootSite = "the target (held by leakslope's hammer)", ""
	}
	hops = p.Hops
	// The runtime's structures are named by what they hold for the user.
	if r.kind == RootOther {
		for _, h := range hops {
			if h.What == "timer" {
				p.Root = "the runtime's timers (" + r.name + ")"
				break
			}
		}
	}
	for _, h := range hops {
		s := h.Site
		if h.BeforeProfiling {
			s = beforeProfiling
		}
		p.Path = append(p.Path, s)
	}
	return p
}
