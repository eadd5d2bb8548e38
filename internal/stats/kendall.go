package stats

import (
	"math"
	"slices"
)

// Kendall is Kendall's S of the residuals y - b·x against x, with what its
// null distribution needs.
type Kendall struct {
	S    int     // Σ_{i<j} sign(x_j-x_i)·sign(r_j-r_i)
	N    int     // number of observations
	VarS float64 // Var(S) under the null, corrected for ties in r
	Ties bool    // r (or x) has ties, or S sums several blocks: the exact table does not apply
}

// KendallS computes Kendall's S of r = y - b·x against x. x need not be
// sorted; pairs with equal x are skipped (they carry no slope).
func KendallS(x, y []float64, b float64) Kendall {
	n := len(x)
	r := make([]float64, n)
	for i := range x {
		r[i] = y[i] - b*x[i]
	}
	var s int
	xTies := false
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			dx := sign(x[j] - x[i])
			if dx == 0 {
				xTies = true
				continue
			}
			s += dx * sign(r[j]-r[i])
		}
	}
	k := Kendall{S: s, N: n}
	k.VarS, k.Ties = varS(r)
	k.Ties = k.Ties || xTies
	return k
}

// varS is the null variance of S for n values with the tie correction
// Var(S) = [n(n-1)(2n+5) - Σ t(t-1)(2t+5)] / 18 over groups of t equal values.
func varS(r []float64) (float64, bool) {
	sorted := slices.Clone(r)
	slices.Sort(sorted)
	return varSSorted(sorted)
}

// varSSorted is varS of values already sorted ascending, so that a caller
// with many small samples can sort them in one scratch buffer.
func varSSorted(sorted []float64) (float64, bool) {
	n := float64(len(sorted))
	v := n * (n - 1) * (2*n + 5)
	ties := false
	for i := 0; i < len(sorted); {
		j := i + 1
		for j < len(sorted) && sorted[j] == sorted[i] {
			j++
		}
		if t := float64(j - i); t > 1 {
			ties = true
			v -= t * (t - 1) * (2*t + 5)
		}
		i = j
	}
	return v / 18, ties
}

// PUpper is the one-sided p-value P(S' >= S) under the null of no
// association. Without ties and with few observations it is exact (the
// Mahonian distribution); otherwise it is the normal approximation with the
// tie-corrected variance and a continuity correction.
func (k Kendall) PUpper() float64 {
	if !k.Ties && k.N <= MaxExact {
		return exactUpper(k.N, k.S)
	}
	if k.VarS <= 0 {
		// Everything tied: S is 0 and no direction is supported.
		if k.S > 0 {
			return 0
		}
		return 1
	}
	return NormalUpper((float64(k.S) - 1) / math.Sqrt(k.VarS))
}

// criticalS returns the smallest c with P(S >= c) <= gamma under the null,
// for the test this Kendall describes. It may exceed the number of pairs,
// meaning no outcome is significant at gamma.
func (k Kendall) criticalS(gamma float64) float64 {
	pairs := k.N * (k.N - 1) / 2
	if !k.Ties && k.N <= MaxExact {
		// S moves in steps of 2 when untied: S >= c <=> I <= (pairs-c)/2.
		// P(I <= i) grows with i, so walk i down from the top.
		cdf := inversionCDF(k.N)
		for i := pairs; i >= 0; i-- {
			if cdf[i] <= gamma {
				return float64(pairs - 2*i)
			}
		}
		return float64(pairs + 2)
	}
	if k.VarS <= 0 {
		return float64(pairs + 1)
	}
	return NormalQuantileUpper(gamma)*math.Sqrt(k.VarS) + 1
}

func sign(v float64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
