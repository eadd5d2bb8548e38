package render

import (
	"fmt"
	"math"
)

// ticks returns about n "nice" tick values (1, 2 or 5 × 10^k apart)
// covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// scaleFor picks one unit for a whole axis: B, KiB, MiB or GiB for bytes.
func scaleFor(max float64, bytes bool) (div float64, unit string) {
	if !bytes {
		return 1, ""
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	div = 1
	i := 0
	for math.Abs(max)/div >= 1024 && i < len(units)-1 {
		div *= 1024
		i++
	}
	return div, units[i]
}

// label prints a tick value compactly.
func label(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case a >= 1e4:
		return fmt.Sprintf("%.3gk", v/1e3)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
