package baseline

import (
	"math"
	"testing"
)

func TestCredible(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name     string
		was, now *Slope
		tol      float64
		want     bool
	}{
		{"doubled", &Slope{Lo: 24, Hi: 24}, &Slope{Lo: 48, Hi: 48}, 0, true},
		{"same", &Slope{Lo: 24, Hi: 24}, &Slope{Lo: 24, Hi: 24}, 0, false},
		{"overlapping", &Slope{Lo: 10, Hi: 30}, &Slope{Lo: 25, Hi: 40}, 0, false},
		{"within tolerance", &Slope{Lo: 20, Hi: 24}, &Slope{Lo: 26, Hi: 27}, 0.1, false},
		{"over tolerance", &Slope{Lo: 20, Hi: 24}, &Slope{Lo: 27, Hi: 28}, 0.1, true},
		{"flat before, grows now", &Slope{Lo: 0, Hi: 0}, &Slope{Lo: 0.5, Hi: 0.7}, 0.5, true},
		{"shrank less", &Slope{Lo: -9, Hi: -5}, &Slope{Lo: -4, Hi: -1}, 0, false},
		{"new and growing", nil, &Slope{Lo: 1, Hi: 2}, 0, true},
		{"new and flat", nil, &Slope{Lo: 0, Hi: 0}, 0, false},
		{"new, unbounded", nil, &Slope{Lo: math.Inf(-1), Hi: inf}, 0, false},
		{"was unbounded", &Slope{Lo: math.Inf(-1), Hi: inf}, &Slope{Lo: 100, Hi: 200}, 0, false},
		{"gone", &Slope{Lo: 1, Hi: 2}, nil, 0, false},
	} {
		if got := Credible(tc.was, tc.now, tc.tol); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCompareOrdersRegressionsFirst(t *testing.T) {
	got := Compare(
		[]Slope{{Symbol: "b", Lo: 1, Hi: 2}, {Symbol: "a", Lo: 1, Hi: 2}, {Symbol: "gone", Lo: 0, Hi: 0}},
		[]Slope{{Symbol: "a", Lo: 1, Hi: 2}, {Symbol: "b", Lo: 5, Hi: 6}, {Symbol: "new", Lo: 1, Hi: 1}}, 0)
	var order []string
	for _, c := range got {
		order = append(order, c.Symbol)
	}
	want := []string{"b", "new", "a", "gone"}
	if len(order) != len(want) {
		t.Fatalf("%v", order)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if !got[0].Regression || !got[1].Regression || got[2].Regression || got[3].Regression || got[3].New != nil || got[1].Old != nil {
		t.Errorf("%+v", got)
	}
}
