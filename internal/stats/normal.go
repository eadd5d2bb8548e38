package stats

import "math"

// NormalCDF is Φ(z), the standard normal distribution function.
func NormalCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// NormalUpper is 1-Φ(z), computed without cancellation for large z, which
// matters here: the p-values we compare against are often below 1e-9.
func NormalUpper(z float64) float64 {
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// NormalQuantileUpper returns z such that 1-Φ(z) = p.
func NormalQuantileUpper(p float64) float64 {
	switch {
	case p <= 0:
		return math.Inf(1)
	case p >= 1:
		return math.Inf(-1)
	}
	return math.Sqrt2 * math.Erfcinv(2*p)
}
