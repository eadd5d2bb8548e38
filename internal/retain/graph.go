package retain

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/leakslope/leakslope/internal/heapdump"
)

// Namer names what a heap dump gives by address: it reads the binary
// that wrote the dump (its symbol table, its functions by pc), so it
// works only in the process that wrote it.
type Namer interface {
	// Bucket labels a profile bucket: the site its allocations are
	// charged to, named as heap symbols name it, what they made, and
	// whether the site is leakslope's own.
	Bucket(b *heapdump.Bucket) (site, what string, own bool)
	// Global names the package variable at addr: its qualified name, and
	// whether it is the runtime's own. ok is false when the binary does
	// not say.
	Global(addr uint64) (name string, runtime, ok bool)
	// NextGlobal is the address of the first package variable after addr;
	// 0 when not known.
	NextGlobal(addr uint64) uint64
	// Func names the function at pc and its file:line, short form
	// ("store.(*Store).Run", "store.go:42"), and whether it is
	// leakslope's hammer or run (which hold the target); ret: pc is a
	// return address.
	Func(pc uint64, ret bool) (fn, fileLine string, own bool)
}

// Root priorities: at equal depth, a path from an earlier kind is kept,
// so an object reachable from the user's variable and from a runtime
// structure alike is shown held by the user's.
const (
	prioUserGlobal = iota
	prioGoroutine
	prioFinalizer
	prioRuntimeGlobal
	prioSystemGoroutine
	prioOther
)

type root struct {
	name, kind, site string
	prio             int
	targets          []int32
	// own: a frame of leakslope's own (the hammer's worker holding the
	// target): paths from it are shown from the user's first object.
	own bool
}

// graph is the dump's objects and roots as nodes: objects are 0..n-1,
// roots n.., in CSR form.
type graph struct {
	d     *heapdump.Dump
	n     int
	roots []*root
	off   []uint32 // node i's successors are adj[off[i]:off[i+1]]
	adj   []int32
	// BFS from the roots: parent of each node (-1: a root or unreached),
	// nodes in the order reached.
	parent []int32
	order  []int32
}

func (g *graph) succ(v int32) []int32 { return g.adj[g.off[v]:g.off[v+1]] }

// build makes the graph: object edges from their pointers, roots from
// the data and BSS segments, goroutines, finalizers and the runtime's
// described roots, grouped by name.
func build(d *heapdump.Dump, nm Namer) *graph {
	g := &graph{d: d, n: len(d.Objects)}
	g.off = make([]uint32, 0, g.n+1)
	g.off = append(g.off, 0)
	for i := range d.Objects {
		for _, v := range d.Pointers(&d.Objects[i]) {
			if j := d.Find(v); j >= 0 && j != i {
				g.adj = append(g.adj, int32(j))
			}
		}
		g.off = append(g.off, uint32(len(g.adj)))
	}

	byName := map[string]*root{}
	add := func(kind, name, site string, prio int, ptrs ...uint64) *root {
		key := kind + "\x00" + name + "\x00" + site
		r := byName[key]
		if r == nil {
			r = &root{name: name, kind: kind, site: site, prio: prio}
			byName[key] = r
			g.roots = append(g.roots, r)
		}
		for _, v := range ptrs {
			if j := d.Find(v); j >= 0 {
				r.targets = append(r.targets, int32(j))
			}
		}
		return r
	}
	statics := staticPointers(d, nm)
	for _, seg := range []heapdump.Segment{d.Data, d.BSS} {
		for _, s := range seg.Slots {
			if d.Find(s.Value) < 0 {
				continue
			}
			name, rt, ok := nm.Global(s.Addr)
			if !ok {
				name, rt, ok = statics.owner(s.Addr)
			}
			switch {
			case !ok:
				add(RootGlobal, fmt.Sprintf("a package variable at %#x (the binary has no symbol for it)", s.Addr), "", prioUserGlobal, s.Value)
			case rt:
				add(RootOther, "runtime variable "+name, "", prioRuntimeGlobal, s.Value)
			default:
				add(RootGlobal, "var "+name, "", prioUserGlobal, s.Value)
			}
		}
	}
	// A goroutine's frames are roots named by function and file:line,
	// with the goroutine's creation site: goroutines started by one go
	// statement and parked at one line are one root.
	created := make([]string, len(d.Goroutines))
	for i, gr := range d.Goroutines {
		if gr.GoPC != 0 {
			fn, fl, _ := nm.Func(gr.GoPC, true)
			created[i] = "goroutine created at " + fn + " " + fl
		} else {
			created[i] = "goroutine"
		}
	}
	prioOf := func(gi int) int {
		if gi >= 0 && d.Goroutines[gi].System {
			return prioSystemGoroutine
		}
		return prioGoroutine
	}
	innermost := map[int]string{}
	for _, f := range d.Frames {
		fn, fl, own := nm.Func(f.PC, f.Depth > 0)
		name := fn + " " + fl
		if f.Depth == 0 {
			innermost[f.Goroutine] = name
		}
		add(RootGoroutine, name, created[f.Goroutine], prioOf(f.Goroutine), f.Ptrs...).own = own
	}
	for i, gr := range d.Goroutines {
		if gr.Ctxt != 0 {
			add(RootGoroutine, innermost[i], created[i], prioOf(i), gr.Ctxt)
		}
	}
	for _, df := range d.Defers {
		fn, _, _ := nm.Func(df.FnPC, false)
		where := "goroutine"
		if df.Goroutine >= 0 {
			where = created[df.Goroutine]
		}
		add(RootGoroutine, "deferred call to "+fn, where, prioOf(df.Goroutine), df.Addr, df.Fn)
	}
	for _, pn := range d.Panics {
		where := "goroutine"
		if pn.Goroutine >= 0 {
			where = created[pn.Goroutine]
		}
		add(RootGoroutine, "a panic's value", where, prioOf(pn.Goroutine), pn.Data)
	}
	for _, f := range d.Finalizers {
		fn, fl, _ := nm.Func(f.FnPC, false)
		what := "finalizer "
		if f.Queued {
			what = "queued finalizer "
		}
		// The runtime keeps a finalizer's function and what the object
		// points to, never the object itself (markrootSpans): it is freed
		// when nothing else holds it, once the finalizer has run. A
		// queued finalizer's object is kept until it runs.
		ptrs := []uint64{f.Fn}
		if f.Queued {
			ptrs = append(ptrs, f.Obj)
		} else if o := d.Find(f.Obj); o >= 0 {
			ptrs = append(ptrs, d.Pointers(&d.Objects[o])...)
		}
		add(RootFinalizer, what+fn, fl, prioFinalizer, ptrs...)
	}
	for _, o := range d.OtherRoots {
		add(RootOther, o.Desc, "", prioOther, o.Ptr)
	}
	slices.SortStableFunc(g.roots, func(a, b *root) int {
		return cmp.Or(cmp.Compare(a.prio, b.prio), cmp.Compare(a.name, b.name), cmp.Compare(a.site, b.site))
	})
	g.bfs()
	return g
}

// bfs reaches every object from the roots, shortest paths first, roots in
// priority order; what no root reaches (held by a root the dump does not
// list: a cleanup, a weak handle, the runtime's own) hangs off an "other"
// root, in address order.
func (g *graph) bfs() {
	g.parent = make([]int32, g.n, g.n+len(g.roots)+1)
	for i := range g.parent {
		g.parent[i] = -1
	}
	seen := make([]bool, g.n)
	g.order = make([]int32, 0, g.n)
	visit := func(from int32, targets []int32, queue []int32) []int32 {
		for _, t := range targets {
			if !seen[t] {
				seen[t] = true
				g.parent[t] = from
				queue = append(queue, t)
			}
		}
		return queue
	}
	drain := func(queue []int32) {
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			g.order = append(g.order, v)
			queue = visit(v, g.succ(v), queue)
		}
	}
	var queue []int32
	for i, r := range g.roots {
		queue = visit(int32(g.n+i), r.targets, queue)
	}
	drain(queue)
	if len(g.order) < g.n {
		other := &root{name: "no root in the heap dump (a cleanup's, a weak pointer's, or the runtime's own)", kind: RootOther, prio: prioOther}
		id := int32(g.n + len(g.roots))
		g.roots = append(g.roots, other)
		// Start from what nothing unreached points to (a cleanup's
		// record, then what it holds), then whatever is left (cycles).
		indeg := make([]int32, g.n)
		for i := range g.n {
			if !seen[i] {
				for _, w := range g.succ(int32(i)) {
					if !seen[w] {
						indeg[w]++
					}
				}
			}
		}
		for pass := range 2 {
			for i := range g.n {
				if !seen[i] && (pass == 1 || indeg[i] == 0) {
					other.targets = append(other.targets, int32(i))
					drain(visit(id, []int32{int32(i)}, nil))
				}
			}
		}
	}
	// Root nodes' edges join the CSR after the objects'.
	for _, r := range g.roots {
		g.adj = append(g.adj, r.targets...)
		g.off = append(g.off, uint32(len(g.adj)))
		g.parent = append(g.parent, -1)
	}
}

// statics name the static values the linker lays out for a package's
// `var x = &T{...}` or `[]*T{{...}}`: they have no symbol of their own, so
// a slot in one is named after the variable that points to it, through
// other static values if need be. A static value starts where a slot
// points and ends at the next pointed-to address or the next symbol.
type statics struct {
	nm     Namer
	starts []uint64            // sorted addresses slots point to
	owners map[uint64][]uint64 // start → the slots pointing to it
	names  map[uint64]string   // start → its name, once resolved ("" for none)
	rt     map[uint64]bool
}

func staticPointers(d *heapdump.Dump, nm Namer) *statics {
	in := func(v uint64, s heapdump.Segment) bool { return v >= s.Addr && v < s.Addr+s.Size }
	st := &statics{nm: nm, owners: map[uint64][]uint64{}, names: map[uint64]string{}, rt: map[uint64]bool{}}
	for _, seg := range []heapdump.Segment{d.Data, d.BSS} {
		for _, s := range seg.Slots {
			if in(s.Value, d.Data) || in(s.Value, d.BSS) {
				if len(st.owners[s.Value]) == 0 {
					st.starts = append(st.starts, s.Value)
				}
				st.owners[s.Value] = append(st.owners[s.Value], s.Addr)
			}
		}
	}
	slices.Sort(st.starts)
	return st
}

// maxStatic bounds a static value's size.
const maxStatic = 64 << 10

// owner names the variable whose static value holds the slot at addr.
func (st *statics) owner(addr uint64) (string, bool, bool) {
	name, rt := st.name(addr, 0)
	return name, rt, name != ""
}

func (st *statics) name(addr uint64, depth int) (string, bool) {
	if name, rt, ok := st.nm.Global(addr); ok {
		return name, rt
	}
	i, found := slices.BinarySearch(st.starts, addr)
	if !found {
		i--
	}
	if i < 0 || depth > 16 {
		return "", false
	}
	start := st.starts[i]
	end := start + maxStatic
	if i+1 < len(st.starts) {
		end = min(end, st.starts[i+1])
	}
	if next := st.nm.NextGlobal(start); next != 0 {
		end = min(end, next)
	}
	if addr >= end {
		return "", false
	}
	if name, ok := st.names[start]; ok {
		return name, st.rt[start]
	}
	st.names[start] = "" // a cycle of static values names none
	for _, o := range st.owners[start] {
		if name, rt := st.name(o, depth+1); name != "" {
			st.names[start], st.rt[start] = name, rt
			return name, rt
		}
	}
	return "", false
}

// isRoot reports whether node v is a root.
func (g *graph) isRoot(v int32) bool { return int(v) >= g.n }
