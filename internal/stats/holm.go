package stats

import (
	"math"
	"sort"
)

// Holm applies the Holm–Bonferroni step-down procedure at family-wise level
// alpha to p. It returns which hypotheses are rejected and, for each, the
// per-hypothesis level it was (or would have been) tested at: α/(m-i+1) for
// the i-th smallest p-value, and for those after the first acceptance the
// level of that acceptance. Reporting the level lets a caller state a
// confidence interval that agrees with the decision.
func Holm(p []float64, alpha float64) (reject []bool, level []float64) {
	m := len(p)
	reject = make([]bool, m)
	level = make([]float64, m)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return p[order[a]] < p[order[b]] })
	stopped := false
	var stopLevel float64
	for rank, idx := range order {
		if stopped {
			level[idx] = stopLevel
			continue
		}
		l := alpha / float64(m-rank)
		level[idx] = l
		if p[idx] <= l {
			reject[idx] = true
			continue
		}
		stopped, stopLevel = true, l
	}
	return reject, level
}

// SpendAlpha is the share of the family-wise α that look k (1, 2, …) of an
// adaptive run may spend: α·6/(π²k²). The shares sum to α over infinitely
// many looks, so by the union bound the chance of any false leak verdict
// at any look stays ≤ α however the run decides when to stop — it needs no
// assumption on how the looks depend on each other. The price is that later
// looks are stricter; with exact accounting leaks give tiny p-values, so it
// is cheap.
func SpendAlpha(alpha float64, k int) float64 {
	if k < 1 {
		k = 1
	}
	return alpha * 6 / (math.Pi * math.Pi * float64(k) * float64(k))
}
