package retain

// retained computes what each node retains: its own size plus the sizes
// of every node it dominates (the objects that would be freed if it were).
// The dominator tree is Lengauer and Tarjan's, with path compression,
// iterative so a list ten thousand deep needs no deep Go stack; a super
// root above the roots makes it one tree.
func (g *graph) retained() []int64 {
	nodes := g.n + len(g.roots) + 1
	super := int32(nodes - 1)
	succ := func(v int32) []int32 {
		if v == super {
			return nil
		}
		return g.succ(v)
	}
	// Depth-first numbering from the super root (1-based; 0 unreached).
	num := make([]int32, nodes)
	vertex := make([]int32, 1, nodes+1) // vertex[num] = node
	parent := make([]int32, nodes+1)    // by number
	type item struct {
		v    int32
		next int32 // index of the next successor to try
	}
	var stack []item
	num[super] = 1
	vertex = append(vertex, super)
	roots := make([]int32, len(g.roots))
	for i := range roots {
		roots[i] = int32(g.n + i)
	}
	stack = append(stack, item{v: super})
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		var s []int32
		if top.v == super {
			s = roots
		} else {
			s = succ(top.v)
		}
		if int(top.next) == len(s) {
			stack = stack[:len(stack)-1]
			continue
		}
		w := s[top.next]
		top.next++
		if num[w] == 0 {
			vertex = append(vertex, w)
			num[w] = int32(len(vertex) - 1)
			parent[num[w]] = num[top.v]
			stack = append(stack, item{v: w})
		}
	}
	n := int32(len(vertex) - 1)

	// Predecessors by number, in CSR form.
	pcount := make([]int32, n+2)
	forEdge := func(fn func(from, to int32)) {
		for _, r := range roots {
			fn(num[super], num[r])
		}
		for v := range int32(g.n + len(g.roots)) {
			if num[v] == 0 {
				continue
			}
			for _, w := range g.succ(v) {
				fn(num[v], num[w])
			}
		}
	}
	forEdge(func(_, to int32) { pcount[to+1]++ })
	for i := int32(1); i <= n+1; i++ {
		pcount[i] += pcount[i-1]
	}
	preds := make([]int32, pcount[n+1])
	fill := make([]int32, n+1)
	forEdge(func(from, to int32) {
		preds[pcount[to]+fill[to]] = from
		fill[to]++
	})

	semi := make([]int32, n+1)
	label := make([]int32, n+1)
	ancestor := make([]int32, n+1)
	idom := make([]int32, n+1)
	bucketHead := make([]int32, n+1)
	bucketNext := make([]int32, n+1)
	for i := range semi {
		semi[i], label[i] = int32(i), int32(i)
	}
	var path []int32
	eval := func(v int32) int32 {
		if ancestor[v] == 0 {
			return v
		}
		// compress, iteratively: the chain up to the forest's root.
		path = path[:0]
		for u := v; ancestor[ancestor[u]] != 0; u = ancestor[u] {
			path = append(path, u)
		}
		for i := len(path) - 1; i >= 0; i-- {
			u := path[i]
			a := ancestor[u]
			if semi[label[a]] < semi[label[u]] {
				label[u] = label[a]
			}
			ancestor[u] = ancestor[a]
		}
		return label[v]
	}
	for w := n; w >= 2; w-- {
		for _, v := range preds[pcount[w]:pcount[w+1]] {
			if u := eval(v); semi[u] < semi[w] {
				semi[w] = semi[u]
			}
		}
		s := semi[w]
		bucketNext[w] = bucketHead[s]
		bucketHead[s] = w
		p := parent[w]
		ancestor[w] = p
		for v := bucketHead[p]; v != 0; v = bucketNext[v] {
			if u := eval(v); semi[u] < semi[v] {
				idom[v] = u
			} else {
				idom[v] = p
			}
		}
		bucketHead[p] = 0
	}
	for w := int32(2); w <= n; w++ {
		if idom[w] != semi[w] {
			idom[w] = idom[idom[w]]
		}
	}

	// Sizes summed up the tree, deepest numbers first: a node's number is
	// always greater than its dominator's.
	ret := make([]int64, n+1)
	for w := n; w >= 2; w-- {
		if v := vertex[w]; int(v) < g.n {
			ret[w] += int64(g.d.Objects[v].Size)
		}
		ret[idom[w]] += ret[w]
	}
	out := make([]int64, g.n)
	for v := range out {
		if num[v] != 0 {
			out[v] = ret[num[v]]
		}
	}
	return out
}
