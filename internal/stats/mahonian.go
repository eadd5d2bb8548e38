package stats

import "sync"

// MaxExact is the largest sample for which Kendall's S uses its exact null
// distribution. Beyond it the tie-corrected normal approximation is within
// a fraction of a percent where it matters and the table would only grow.
const MaxExact = 60

var mahonian struct {
	sync.Mutex
	cdf map[int][]float64 // n -> P(inversions <= k), k = 0..n(n-1)/2
}

// inversionCDF returns P(I <= k) for k = 0..n(n-1)/2, where I is the number
// of inversions of a uniformly random permutation of n items. Its counts are
// the Mahonian numbers (OEIS A008302); the recurrence adds one item at a
// time, which can create 0..n-1 new inversions, each equally likely.
func inversionCDF(n int) []float64 {
	mahonian.Lock()
	defer mahonian.Unlock()
	if c, ok := mahonian.cdf[n]; ok {
		return c
	}
	if mahonian.cdf == nil {
		mahonian.cdf = make(map[int][]float64)
	}
	pmf := []float64{1}
	for m := 2; m <= n; m++ {
		next := make([]float64, len(pmf)+m-1)
		// next[k] = (1/m) * sum_{j=0}^{m-1} pmf[k-j], by a sliding window.
		var window float64
		for k := range next {
			if k < len(pmf) {
				window += pmf[k]
			}
			if k-m >= 0 && k-m < len(pmf) {
				window -= pmf[k-m]
			}
			next[k] = window / float64(m)
		}
		pmf = next
	}
	cdf := make([]float64, len(pmf))
	var acc float64
	for k, p := range pmf {
		acc += p
		cdf[k] = acc
	}
	mahonian.cdf[n] = cdf
	return cdf
}

// exactUpper returns P(S >= s) for Kendall's S of n untied observations
// under the null of no association. S = N - 2I with N = n(n-1)/2 pairs.
func exactUpper(n, s int) float64 {
	N := n * (n - 1) / 2
	if s <= -N {
		return 1
	}
	if s > N {
		return 0
	}
	// S >= s  <=>  I <= (N - s) / 2
	k := (N - s)
	if k < 0 {
		return 0
	}
	k /= 2
	cdf := inversionCDF(n)
	if k >= len(cdf) {
		return 1
	}
	p := cdf[k]
	if p > 1 {
		p = 1
	}
	return p
}
