package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Mahonian numbers, OEIS A008302: permutations of n items by inversions.
func TestInversionCDFMatchesMahonianNumbers(t *testing.T) {
	want := map[int][]float64{
		3: {1, 2, 2, 1},
		4: {1, 3, 5, 6, 5, 3, 1},
		5: {1, 4, 9, 15, 20, 22, 20, 15, 9, 4, 1},
	}
	fact := map[int]float64{3: 6, 4: 24, 5: 120}
	for n, counts := range want {
		cdf := inversionCDF(n)
		if len(cdf) != len(counts) {
			t.Fatalf("n=%d: %d inversion counts, want %d", n, len(cdf), len(counts))
		}
		var acc float64
		for k, c := range counts {
			acc += c
			if got := cdf[k]; math.Abs(got-acc/fact[n]) > 1e-12 {
				t.Errorf("n=%d: P(I<=%d) = %g, want %g", n, k, got, acc/fact[n])
			}
		}
	}
}

// The example: 8 perfectly monotone snapshots.
func TestExactVersusNormalForEightMonotonePoints(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	y := []float64{10, 11, 13, 14, 20, 21, 30, 31}
	k := KendallS(x, y, 0)
	if k.S != 28 || k.Ties {
		t.Fatalf("S = %d ties=%v, want 28 and no ties", k.S, k.Ties)
	}
	if got, want := k.PUpper(), 1.0/40320; math.Abs(got-want) > 1e-15 {
		t.Errorf("exact p = %g, want 1/8! = %g", got, want)
	}
	// What the normal approximation would say: Var(S) = 8·7·21/18.
	z := (28 - 1) / math.Sqrt(8*7*21/18.0)
	if got := NormalUpper(z); got < 3.5e-4 || got > 4.5e-4 {
		t.Errorf("normal approximation p = %g, want ≈ 4e-4", got)
	}
}

func TestVarSTieCorrectionHandComputed(t *testing.T) {
	// n=6: 6·5·17 = 510; a pair: 2·1·9 = 18; a triple: 3·2·11 = 66.
	v, ties := varS([]float64{1, 2, 2, 3, 3, 3})
	if !ties || math.Abs(v-(510-18-66)/18.0) > 1e-12 {
		t.Errorf("Var(S) = %g ties=%v, want %g with ties", v, ties, (510-18-66)/18.0)
	}
	v, ties = varS([]float64{4, 1, 3, 2})
	if ties || v != 4*3*13/18.0 {
		t.Errorf("Var(S) = %g, want %g", v, 4*3*13/18.0)
	}
}

func TestTheilSenHandComputed(t *testing.T) {
	// Pairwise slopes, sorted: -3 -2.5 -2 -1 0.2 0.5 0.75 4/3 2 3.5.
	x := []float64{0, 1, 2, 4, 5}
	y := []float64{6, 4, 1, 8, 7}
	f := TheilSen(x, y, 0.05)
	if math.Abs(f.Slope-0.35) > 1e-12 {
		t.Errorf("slope = %g, want 0.35", f.Slope)
	}
	if !(f.Lo <= f.Slope && f.Slope <= f.Hi) {
		t.Errorf("interval [%g, %g] does not hold the slope %g", f.Lo, f.Hi, f.Slope)
	}
}

func TestStraightLineGivesExactSlope(t *testing.T) {
	for _, b := range []float64{0, 1, -2.5, 64.0 / 50, 1e6} {
		x := make([]float64, 40)
		y := make([]float64, 40)
		for i := range x {
			x[i] = float64(i*i + 3)
			y[i] = 7 + b*x[i]
		}
		f := TheilSen(x, y, 1e-6)
		if math.Abs(f.Slope-b) > 1e-9*math.Max(1, math.Abs(b)) ||
			math.Abs(f.Lo-b) > 1e-9*math.Max(1, math.Abs(b)) ||
			math.Abs(f.Hi-b) > 1e-9*math.Max(1, math.Abs(b)) {
			t.Errorf("b=%g: got %g [%g, %g]", b, f.Slope, f.Lo, f.Hi)
		}
	}
}

func TestPermutingPairsChangesNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		n := 5 + r.IntN(40)
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = float64(i) * 10
			y[i] = 0.3*x[i] + r.NormFloat64()*5
		}
		f1, p1 := TheilSen(x, y, 0.01), PGreater(x, y, 0.1)
		r.Shuffle(n, func(i, j int) { x[i], x[j] = x[j], x[i]; y[i], y[j] = y[j], y[i] })
		f2, p2 := TheilSen(x, y, 0.01), PGreater(x, y, 0.1)
		if f1 != f2 || math.Abs(p1-p2) > 1e-12 {
			t.Fatalf("n=%d: before %+v p=%g, after %+v p=%g", n, f1, p1, f2, p2)
		}
	}
}

// The bounds invert the test: Lo > b exactly when H0: slope ≤ b is
// rejected at gamma (for untied data, where both are exact).
func TestBoundsInvertTheTest(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 300; trial++ {
		n := 6 + r.IntN(20)
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = float64(i)
			y[i] = 0.5*x[i] + r.NormFloat64()
		}
		gamma := 0.001 + 0.1*r.Float64()
		f := TheilSen(x, y, gamma)
		b := f.Slope + r.NormFloat64()
		rejected := PGreater(x, y, b) <= gamma
		if rejected != (f.Lo > b) {
			t.Fatalf("n=%d gamma=%g b=%g: test rejects=%v but Lo=%g", n, gamma, b, rejected, f.Lo)
		}
	}
}

func TestIntervalCoverage(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const runs, gamma = 4000, 0.025
	miss := 0
	for i := 0; i < runs; i++ {
		n := 12 + r.IntN(30)
		x := make([]float64, n)
		y := make([]float64, n)
		for j := range x {
			x[j] = float64(j)
			y[j] = 2*x[j] + r.NormFloat64()*3
		}
		f := TheilSen(x, y, gamma)
		if f.Lo > 2 || f.Hi < 2 {
			miss++
		}
	}
	// Nominal miss rate 2·gamma = 5%; allow 4 binomial standard errors.
	if rate := float64(miss) / runs; rate > 0.05+4*math.Sqrt(0.05*0.95/runs) {
		t.Errorf("interval missed the true slope in %.1f%% of runs, want ≤ 5%%", 100*rate)
	}
}

func TestHolmHandComputed(t *testing.T) {
	p := []float64{0.01, 0.04, 0.03, 0.005}
	rej, lvl := Holm(p, 0.05)
	want := []bool{true, false, false, true}
	for i := range want {
		if rej[i] != want[i] {
			t.Errorf("p=%g: reject=%v, want %v", p[i], rej[i], want[i])
		}
	}
	if lvl[3] != 0.05/4 || lvl[0] != 0.05/3 || lvl[2] != 0.05/2 || lvl[1] != 0.05/2 {
		t.Errorf("levels = %v", lvl)
	}
}

func TestSpendAlphaSumsToAlpha(t *testing.T) {
	var sum float64
	for k := 1; k <= 1_000_000; k++ {
		sum += SpendAlpha(0.05, k)
	}
	if sum > 0.05 || sum < 0.0499 {
		t.Errorf("sum over looks = %g, want just under 0.05", sum)
	}
}

func TestPLessMirrorsPGreater(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	y := []float64{9, 8, 8.5, 6, 5, 4.2, 3, 2, 1}
	if p := PLess(x, y, 0); p > 1e-3 {
		t.Errorf("falling series: P(slope<0) p = %g, want small", p)
	}
	if p := PGreater(x, y, 0); p < 0.99 {
		t.Errorf("falling series: P(slope>0) p = %g, want near 1", p)
	}
}

func BenchmarkTheilSen128(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, 128)
	y := make([]float64, 128)
	for i := range x {
		x[i] = float64(i * 300)
		y[i] = float64(r.IntN(5)) * 64
	}
	b.ReportAllocs()
	for b.Loop() {
		TheilSen(x, y, 1e-6)
	}
}

func TestSelectKAgreesWithSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 500; trial++ {
		n := 1 + r.IntN(300)
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(r.IntN(20)) // many ties
		}
		sorted := append([]float64(nil), d...)
		slices.Sort(sorted)
		k := r.IntN(n)
		if got := orderStat(d, k); got != sorted[k] {
			t.Fatalf("n=%d k=%d: got %g, want %g", n, k, got, sorted[k])
		}
	}
}
