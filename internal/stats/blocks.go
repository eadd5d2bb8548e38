package stats

import (
	"fmt"
	"math"
	"slices"
)

// Blocked (stratified) versions of Kendall's test and the Theil–Sen fit:
// the seasonal Kendall test of Hirsch, Slack & Smith (1982). A series that
// restarts, or a group of series pooled together, is cut into blocks, and
// only pairs within one block are compared: a restart (or another series)
// may shift the level arbitrarily, which says nothing about the slope.
// Under the null the blocks' S are independent, so S = Σ S_k has variance
// Σ Var(S_k), and S is close to normal once there are several blocks.
//
// blocks holds the start index of each block, ascending, the first 0; a
// block runs to the next start (or the end). Each block should be in
// increasing x. nil or []int{0} is one block: the plain functions.

// KendallSBlocks is Kendall's S of r = y - b·x against x summed over the
// blocks: S = Σ S_k and VarS = Σ VarS_k, each tie-corrected within its
// block. N counts the points of the blocks that have at least two points
// (the points that enter some pair); blocks of one point contribute
// nothing. With more than one such block Ties is set, so PUpper uses the
// normal approximation (the exact table is for a single ranking); with
// exactly one the result is KendallS of that block, exact table included.
func KendallSBlocks(x, y []float64, blocks []int, b float64) Kendall {
	if oneBlock(blocks) {
		return KendallS(x, y, b)
	}
	checkBlocks(len(x), blocks)
	var k Kendall
	used := 0
	for i := range blocks {
		lo, hi := blockSpan(blocks, i, len(x))
		if hi-lo < 2 {
			continue
		}
		kb := KendallS(x[lo:hi], y[lo:hi], b)
		k.S += kb.S
		k.N += kb.N
		k.VarS += kb.VarS
		k.Ties = k.Ties || kb.Ties
		used++
	}
	if used > 1 {
		k.Ties = true
	}
	return k
}

// PGreaterBlocks is PGreater for blocked data: the one-sided p-value of
// H0: slope ≤ b against H1: slope > b, with a slope common to the blocks
// and each block free to have its own level.
func PGreaterBlocks(x, y []float64, blocks []int, b float64) float64 {
	if oneBlock(blocks) {
		return PGreater(x, y, b)
	}
	k := KendallSBlocks(x, y, blocks, b)
	if k.N < 2 {
		return 1
	}
	return k.PUpper()
}

// TheilSenBlocks is TheilSen for blocked data: the median of the m
// within-block pairwise slopes (pairs with equal x skipped), and Sen's
// bounds d(k+1), d(m-k), k = ⌊(m-c)/2⌋, with c the critical value of S
// from the summed tie-corrected variance (normal). N is len(x). No pair
// gives a NaN slope; bounds stay infinite when too few pairs support them.
// With one block of two points or more (the others single points) it is
// TheilSen of that block.
func TheilSenBlocks(x, y []float64, blocks []int, gamma float64) Fit {
	if oneBlock(blocks) {
		return TheilSen(x, y, gamma)
	}
	n := len(x)
	checkBlocks(n, blocks)
	f := Fit{N: n, Lo: math.Inf(-1), Hi: math.Inf(1)}
	pairs, used, last, longest := 0, 0, 0, 0
	flat := true
	for i := range blocks {
		lo, hi := blockSpan(blocks, i, n)
		if hi-lo < 2 {
			continue
		}
		pairs += (hi - lo) * (hi - lo - 1) / 2
		used, last = used+1, i
		longest = max(longest, hi-lo)
		flat = flat && constant(y[lo:hi])
	}
	switch used {
	case 0:
		f.Slope = math.NaN()
		return f
	case 1:
		lo, hi := blockSpan(blocks, last, n)
		g := TheilSen(x[lo:hi], y[lo:hi], gamma)
		g.N = n
		return g
	}
	if flat {
		// Every block constant, so every within-block slope is 0 (as in
		// TheilSen, and it spares the big allocation).
		f.Slope, f.Lo, f.Hi = 0, 0, 0
		return f
	}
	// The one big allocation: up to 1.6M slopes for 200 series × 128 points.
	d := make([]float64, 0, pairs)
	for i := range blocks {
		lo, hi := blockSpan(blocks, i, n)
		for a := lo; a < hi; a++ {
			for c := a + 1; c < hi; c++ {
				if dx := x[c] - x[a]; dx != 0 {
					d = append(d, (y[c]-y[a])/dx)
				}
			}
		}
	}
	if len(d) == 0 {
		f.Slope = math.NaN()
		return f
	}
	return fromSlopes(f, d, func() float64 {
		// Only Var(S) of y matters for c (the normal approximation), so
		// skip KendallSBlocks' pass over the pairs for S.
		k := Kendall{Ties: true}
		buf := make([]float64, 0, longest)
		for i := range blocks {
			lo, hi := blockSpan(blocks, i, n)
			if hi-lo < 2 {
				continue
			}
			buf = append(buf[:0], y[lo:hi]...)
			slices.Sort(buf)
			v, _ := varSSorted(buf)
			k.VarS += v
			k.N += hi - lo
		}
		return k.criticalS(gamma)
	})
}

func oneBlock(blocks []int) bool {
	return len(blocks) == 0 || len(blocks) == 1 && blocks[0] == 0
}

// checkBlocks panics on malformed blocks: they come from the caller's own
// bookkeeping, so a bad one is a bug to surface, not data to tolerate.
func checkBlocks(n int, blocks []int) {
	if blocks[0] != 0 {
		panic(fmt.Sprintf("stats: blocks %v: the first block must start at 0", blocks))
	}
	for i := 1; i < len(blocks); i++ {
		if blocks[i] <= blocks[i-1] {
			panic(fmt.Sprintf("stats: blocks %v: starts must be strictly increasing", blocks))
		}
	}
	if blocks[len(blocks)-1] >= n {
		panic(fmt.Sprintf("stats: blocks %v: start beyond the last of %d points", blocks, n))
	}
}

// blockSpan returns the half-open index range of block i.
func blockSpan(blocks []int, i, n int) (lo, hi int) {
	lo, hi = blocks[i], n
	if i+1 < len(blocks) {
		hi = blocks[i+1]
	}
	return lo, hi
}
