package stats

import "math"

// Fit is a Theil–Sen slope with Sen's confidence bounds.
type Fit struct {
	Slope float64
	Lo    float64 // lower bound: slopes below it are rejected at level gamma
	Hi    float64 // upper bound: slopes above it are rejected at level gamma
	N     int     // observations
}

// TheilSen returns the median of the pairwise slopes (y_j-y_i)/(x_j-x_i)
// and Sen's bounds, each one-sided at level gamma (so [Lo, Hi] is a
// 1-2·gamma interval). The bounds invert Kendall's test: with the m pairwise
// slopes sorted ascending, d(1) ≤ … ≤ d(m), and c the critical value of S,
// Lo = d(k+1) and Hi = d(m-k) with k = ⌊(m-c)/2⌋. Too few observations
// give infinite bounds rather than a false precision.
func TheilSen(x, y []float64, gamma float64) Fit {
	n := len(x)
	f := Fit{N: n, Lo: math.Inf(-1), Hi: math.Inf(1)}
	if n < 2 {
		f.Slope = math.NaN()
		return f
	}
	if constant(y) {
		// The common case by far (a clean allocation site): every
		// pairwise slope is exactly 0, so is any order statistic of them.
		f.Slope, f.Lo, f.Hi = 0, 0, 0
		return f
	}
	d := make([]float64, 0, n*(n-1)/2)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if dx := x[j] - x[i]; dx != 0 {
				d = append(d, (y[j]-y[i])/dx)
			}
		}
	}
	if len(d) == 0 {
		f.Slope = math.NaN()
		return f
	}
	// The critical value uses the null distribution of S with the ties of
	// the data (flat stretches narrow Var(S)), as Sen's method does.
	return fromSlopes(f, d, func() float64 { return KendallS(x, y, 0).criticalS(gamma) })
}

// fromSlopes sets f's slope and Sen's bounds from the m ≥ 1 pairwise slopes
// d (reordering d). crit gives the critical value of S; it is called only
// when the slopes are not all equal, since computing it costs a pass over
// the pairs.
func fromSlopes(f Fit, d []float64, crit func() float64) Fit {
	m := len(d)
	// Order statistics by selection; each selectK leaves d partitioned
	// around its k, so later selections may look on one side only.
	half := m / 2
	f.Slope = orderStat(d, half)
	if m%2 == 0 {
		f.Slope = (maxOf(d[:half]) + f.Slope) / 2
	}
	lo, hi := minOf(d), maxOf(d)
	if lo == hi {
		// A straight line: every order statistic is its slope.
		f.Lo, f.Hi = lo, hi
		return f
	}
	c := crit()
	k := int(math.Floor((float64(m) - c) / 2))
	if k >= 0 && k < m {
		f.Lo = orderStat(d, k)
		f.Hi = orderStat(d, m-1-k)
	}
	return f
}

// PGreater is the one-sided p-value of Kendall's test of H0: slope ≤ b
// against H1: slope > b. Under H0 at its boundary the residuals y - b·x
// are exchangeable, so S follows its null distribution; a smaller true
// slope only makes S smaller, so the test stays valid for all of H0.
func PGreater(x, y []float64, b float64) float64 {
	if len(x) < 2 {
		return 1
	}
	return KendallS(x, y, b).PUpper()
}

// PLess is the one-sided p-value of H0: slope ≥ b against H1: slope < b.
func PLess(x, y []float64, b float64) float64 {
	if len(x) < 2 {
		return 1
	}
	neg := make([]float64, len(y))
	for i, v := range y {
		neg[i] = -v
	}
	return KendallS(x, neg, -b).PUpper()
}

func constant(y []float64) bool {
	for _, v := range y[1:] {
		if v != y[0] {
			return false
		}
	}
	return true
}

func minOf(d []float64) float64 {
	v := d[0]
	for _, x := range d[1:] {
		v = min(v, x)
	}
	return v
}

func maxOf(d []float64) float64 {
	v := d[0]
	for _, x := range d[1:] {
		v = max(v, x)
	}
	return v
}
