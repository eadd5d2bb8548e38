// Package units writes numbers for people, one way everywhere: bytes in
// B, KiB, MiB, GiB with three significant digits, counts with thousands
// grouped, and the scale of a chart's axis. The text report, its table,
// the charts and the runner's messages all use it.
package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bytes scales to B, KiB, MiB or GiB with three significant digits.
func Bytes(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞ B"
	case math.IsInf(v, -1):
		return "-∞ B"
	case math.IsNaN(v):
		return "? B"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return Sig3(v) + " " + units[i]
}

// Count writes a count: whole thousands grouped (12,000), large ones as k
// or M with three significant digits.
func Count(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	case math.IsNaN(v):
		return "?"
	}
	a := math.Abs(v)
	switch {
	case a >= 1000 && a < 1e6 && v == math.Trunc(v):
		return Group(int64(v))
	case a >= 1e6:
		return Sig3(v/1e6) + "M"
	case a >= 1e4:
		return Sig3(v/1e3) + "k"
	}
	return Sig3(v)
}

// Sig3 prints three significant digits without exponent noise.
func Sig3(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	switch {
	case v == math.Trunc(v) && a < 1e4:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.001:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", 2-int(math.Floor(math.Log10(a))), v), "0"), ".")
	}
	return fmt.Sprintf("%.2g", v)
}

// Group writes n with thousands separators: 9,993.
func Group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + Group(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Scale picks one unit for a whole axis: B, KiB, MiB or GiB for bytes.
func Scale(max float64, bytes bool) (div float64, unit string) {
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

// Tick prints a tick value compactly.
func Tick(v float64) string {
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

// ByteUnits are the units a size may be written in, with their scale.
var ByteUnits = map[string]float64{
	"": 1, "B": 1,
	"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
}

// ParseBytes reads a whole number of bytes, with a unit of ByteUnits or
// none: "512MiB", "1 GiB", "1048576".
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(t[:i], 64)
	scale, ok := ByteUnits[strings.TrimSpace(t[i:])]
	switch {
	case err != nil || i == 0:
		return 0, fmt.Errorf("%q: not a size (want a number of bytes, with B, KiB, MiB, GiB, kB, MB or GB)", s)
	case !ok:
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KiB, MiB, GiB, kB, MB or GB)", s, strings.TrimSpace(t[i:]))
	case v*scale >= 1<<62:
		return 0, fmt.Errorf("%q: too large", s)
	}
	return int64(v * scale), nil
}
