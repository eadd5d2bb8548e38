package units

import (
	"math"
	"testing"
)

func TestBytes(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0 B", 16: "16 B", 1536: "1.50 KiB", 3 << 20: "3 MiB", 0.056: "0.056 B",
		-2048: "-2 KiB", math.Inf(1): "∞ B", math.NaN(): "? B",
	} {
		if got := Bytes(v); got != want {
			t.Errorf("Bytes(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 1: "1", 0.0005: "0.0005", 6.1: "6.10", 2039: "2,039", 42300.5: "42.3k", 12000: "12,000", 3.5e6: "3.50M",
	} {
		if got := Count(v); got != want {
			t.Errorf("Count(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 9993: "9,993", 1234567: "1,234,567", -20000: "-20,000"} {
		if got := Group(n); got != want {
			t.Errorf("Group(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestScaleAndTick(t *testing.T) {
	if div, unit := Scale(3<<20, true); div != 1<<20 || unit != "MiB" {
		t.Errorf("Scale(3 MiB) = %v %s", div, unit)
	}
	if div, unit := Scale(3<<20, false); div != 1 || unit != "" {
		t.Errorf("Scale of a count = %v %q", div, unit)
	}
	for v, want := range map[float64]string{0: "0", 2000: "2000", 25000: "25k", 1.5e6: "1.5M", 0.25: "0.25"} {
		if got := Tick(v); got != want {
			t.Errorf("Tick(%v) = %q, want %q", v, got, want)
		}
	}
}
