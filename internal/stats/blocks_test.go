package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// One block, or one block of two or more points among single points, is
// the plain computation on that block, exact table included.
func TestOneBlockIsThePlainFunctions(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 300; trial++ {
		n := 4 + r.IntN(50)
		x := make([]float64, n)
		y := make([]float64, n)
		for i := range x {
			x[i] = float64(i * (1 + r.IntN(3)))
			y[i] = 0.2*x[i] + r.NormFloat64()
			if trial%3 == 0 {
				y[i] = math.Round(y[i]) // ties
			}
		}
		b := r.NormFloat64()
		gamma := 0.001 + 0.2*r.Float64()
		for _, blocks := range [][]int{nil, {0}} {
			if got, want := KendallSBlocks(x, y, blocks, b), KendallS(x, y, b); got != want {
				t.Fatalf("blocks %v: Kendall %+v, want %+v", blocks, got, want)
			}
			if got, want := TheilSenBlocks(x, y, blocks, gamma), TheilSen(x, y, gamma); !sameFit(got, want) {
				t.Fatalf("blocks %v: fit %+v, want %+v", blocks, got, want)
			}
			if got, want := PGreaterBlocks(x, y, blocks, b), PGreater(x, y, b); got != want {
				t.Fatalf("blocks %v: p %g, want %g", blocks, got, want)
			}
		}
		// A single point before and after the real block: nothing changes
		// but N of the fit, which counts every observation.
		blocks := []int{0, 1, n - 1}
		in := func(v []float64) []float64 { return v[1 : n-1] }
		if got, want := KendallSBlocks(x, y, blocks, b), KendallS(in(x), in(y), b); got != want {
			t.Fatalf("singletons around: Kendall %+v, want %+v", got, want)
		}
		want := TheilSen(in(x), in(y), gamma)
		want.N = n
		if got := TheilSenBlocks(x, y, blocks, gamma); !sameFit(got, want) {
			t.Fatalf("singletons around: fit %+v, want %+v", got, want)
		}
		if got, want := PGreaterBlocks(x, y, blocks, b), PGreater(in(x), in(y), b); got != want {
			t.Fatalf("singletons around: p %g, want %g", got, want)
		}
	}
}

func sameFit(a, b Fit) bool {
	eq := func(u, v float64) bool { return u == v || math.IsNaN(u) && math.IsNaN(v) }
	return a.N == b.N && eq(a.Slope, b.Slope) && eq(a.Lo, b.Lo) && eq(a.Hi, b.Hi)
}

func TestTwoBlocksHandComputed(t *testing.T) {
	// Block A: slopes 2, 0.5, -1; S = 2-1 = 1; Var = 3·2·11/18.
	// Block B: slopes 1, 1.5, 2/3, 2, 0.5, -1; S = 5-1 = 4; Var = 4·3·13/18.
	// All nine sorted: -1 -1 0.5 0.5 2/3 1 1.5 2 2.
	x := []float64{0, 1, 2, 3, 4, 5, 6}
	y := []float64{0, 2, 1, 5, 6, 8, 7}
	blocks := []int{0, 3}
	const wantVar = (66 + 156) / 18.0
	// gamma = 0.25: c = 0.6745·√(222/18) + 1 = 3.37, k = ⌊(9-3.37)/2⌋ = 2,
	// so Lo = d(3) = 0.5 and Hi = d(7) = 1.5.
	check := func(what string, y []float64) {
		t.Helper()
		k := KendallSBlocks(x, y, blocks, 0)
		if k.S != 5 || k.N != 7 || math.Abs(k.VarS-wantVar) > 1e-12 || !k.Ties {
			t.Errorf("%s: Kendall %+v, want S=5 N=7 VarS=%g normal", what, k, wantVar)
		}
		f := TheilSenBlocks(x, y, blocks, 0.25)
		if math.Abs(f.Slope-2.0/3) > 1e-12 || f.Lo != 0.5 || f.Hi != 1.5 || f.N != 7 {
			t.Errorf("%s: fit %+v, want 2/3 in [0.5, 1.5], N=7", what, f)
		}
		p := PGreaterBlocks(x, y, blocks, 0)
		if want := NormalUpper(4 / math.Sqrt(wantVar)); math.Abs(p-want) > 1e-15 {
			t.Errorf("%s: p = %g, want %g", what, p, want)
		}
	}
	check("as is", y)
	// A huge drop at the restart changes nothing: no pair crosses it.
	shifted := slices.Clone(y)
	for i := 3; i < len(y); i++ {
		shifted[i] -= 1e6
	}
	check("second block shifted by -1e6", shifted)
	// …whereas unblocked, the 12 cross pairs turn from concordant to
	// discordant: S goes from 17 to -7.

	if plain, dropped := KendallS(x, y, 0).S, KendallS(x, shifted, 0).S; plain != 17 || dropped != -7 {
		t.Errorf("without blocks: S = %d, %d after the drop; want 17, -7", plain, dropped)
	}
}

// The general path against a brute-force reference: sorted within-block
// slopes and the critical value from the summed tie-corrected variance.
func TestTheilSenBlocksAgainstSorting(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for trial := 0; trial < 300; trial++ {
		var x, y []float64
		var blocks []int
		nb := 2 + r.IntN(5)
		for range nb {
			blocks = append(blocks, len(x))
			size := 1 + r.IntN(15)
			level := 100 * r.NormFloat64()
			for j := range size {
				x = append(x, float64(j+r.IntN(2))) // some equal x
				v := level + 0.3*float64(j) + r.NormFloat64()
				if trial%2 == 0 {
					v = math.Round(v)
				}
				y = append(y, v)
			}
		}
		gamma := 0.001 + 0.2*r.Float64()
		var d []float64
		var vs float64
		var wantS, used, points int
		for i := range blocks {
			lo, hi := blockSpan(blocks, i, len(x))
			for a := lo; a < hi; a++ {
				for c := a + 1; c < hi; c++ {
					if dx := x[c] - x[a]; dx != 0 {
						d = append(d, (y[c]-y[a])/dx)
						wantS += sign(dx) * sign(y[c]-y[a])
					}
				}
			}
			if hi-lo >= 2 {
				v, _ := varS(y[lo:hi])
				vs += v
				used++
				points += hi - lo
			}
		}
		k := KendallSBlocks(x, y, blocks, 0)
		if k.S != wantS || k.N != points || math.Abs(k.VarS-vs) > 1e-9*vs {
			t.Fatalf("blocks %v: Kendall %+v, want S=%d N=%d VarS=%g", blocks, k, wantS, points, vs)
		}
		if used < 2 || len(d) < 2 {
			continue // the delegating paths, checked elsewhere
		}
		slices.Sort(d)
		m := len(d)
		want := Fit{N: len(x), Lo: math.Inf(-1), Hi: math.Inf(1), Slope: d[m/2]}
		if m%2 == 0 {
			want.Slope = (d[m/2-1] + d[m/2]) / 2
		}
		switch {
		case d[0] == d[m-1]:
			want.Lo, want.Hi = d[0], d[0]
		case vs > 0:
			c := NormalQuantileUpper(gamma)*math.Sqrt(vs) + 1
			if k := int(math.Floor((float64(m) - c) / 2)); k >= 0 && k < m {
				want.Lo, want.Hi = d[k], d[m-1-k]
			}
		}
		if got := TheilSenBlocks(x, y, blocks, gamma); !sameFit(got, want) {
			t.Fatalf("blocks %v gamma %g: fit %+v, want %+v", blocks, gamma, got, want)
		}
	}
}

// For untied data the bounds invert the blocked test exactly: Lo > b
// exactly when PGreaterBlocks rejects H0: slope ≤ b at gamma.
func TestBlockBoundsInvertTheBlockedTest(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for trial := 0; trial < 300; trial++ {
		x, y, blocks := simulateBlocks(r, 2+r.IntN(4), 4+r.IntN(12), 0.5, 1, false)
		gamma := 0.001 + 0.1*r.Float64()
		f := TheilSenBlocks(x, y, blocks, gamma)
		b := f.Slope + 0.3*r.NormFloat64()
		if rejected := PGreaterBlocks(x, y, blocks, b) <= gamma; rejected != (f.Lo > b) {
			t.Fatalf("blocks %v gamma=%g b=%g: test rejects=%v but Lo=%g", blocks, gamma, b, rejected, f.Lo)
		}
	}
}

// simulateBlocks makes nb blocks of size points on a common slope, x
// running on across blocks, each block at its own random level.
func simulateBlocks(r *rand.Rand, nb, size int, slope, noise float64, round bool) (x, y []float64, blocks []int) {
	for k := range nb {
		blocks = append(blocks, len(x))
		level := math.Round(1000 * (r.Float64() - 0.5))
		for j := range size {
			xv := float64(k*size + j)
			v := level + slope*xv + noise*r.NormFloat64()
			if round {
				v = math.Round(v)
			}
			x, y = append(x, xv), append(y, v)
		}
	}
	return x, y, blocks
}

func TestBlockedCoverageAndFalsePositives(t *testing.T) {
	const runs, gamma, limit = 3000, 0.05, 0.065
	for _, tc := range []struct {
		name         string
		slope, noise float64
		round        bool
	}{
		{"continuous", 0.5, 3, false},
		// Integer values and an integer slope: the residuals at the true
		// slope tie heavily, which the tie-corrected variance must absorb.
		{"integer ties", 1, 1.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(17, 18))
			var below, above, falsePos int
			for range runs {
				x, y, blocks := simulateBlocks(r, 4, 20, tc.slope, tc.noise, tc.round)
				f := TheilSenBlocks(x, y, blocks, gamma)
				if f.Lo > tc.slope {
					below++
				}
				if f.Hi < tc.slope {
					above++
				}
				if PGreaterBlocks(x, y, blocks, tc.slope) <= gamma {
					falsePos++
				}
			}
			rate := func(c int) float64 { return float64(c) / runs }
			t.Logf("true slope below Lo %.2f%%, above Hi %.2f%%, PGreaterBlocks ≤ %g %.2f%%",
				100*rate(below), 100*rate(above), gamma, 100*rate(falsePos))
			if rate(below) > limit || rate(above) > limit || rate(falsePos) > limit {
				t.Errorf("miss rates %.3f below, %.3f above, false positives %.3f; want each ≤ %g",
					rate(below), rate(above), rate(falsePos), limit)
			}
		})
	}
}

// A process that restarts: every block climbs at the same slope from the
// same low value, so the concatenation is a sawtooth. Unblocked, the
// falls at the restarts cancel the climbs; blocked, the climb is plain.
func TestSawtoothOfRestartsIsDetectedOnlyWithBlocks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		nb, size int
		drop     float64 // each block starts this much below the last
		noise    float64
	}{
		// Noiseless, so the values at the same place in each block tie
		// instead of adding a chance trend across blocks.
		{"same start", 10, 4, 0, 0},
		{"falling starts", 4, 5, 30, 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(19, 20))
			var x, y []float64
			var blocks []int
			for k := range tc.nb {
				blocks = append(blocks, len(x))
				for j := range tc.size {
					x = append(x, float64(len(x)))
					y = append(y, 10-tc.drop*float64(k)+2*float64(j)+tc.noise*r.NormFloat64())
				}
			}
			pb, pp := PGreaterBlocks(x, y, blocks, 0), PGreater(x, y, 0)
			fb, fp := TheilSenBlocks(x, y, blocks, 0.01), TheilSen(x, y, 0.01)
			t.Logf("blocked p=%.3g fit %.3g [%.3g, %.3g]; unblocked p=%.3g fit %.3g [%.3g, %.3g]",
				pb, fb.Slope, fb.Lo, fb.Hi, pp, fp.Slope, fp.Lo, fp.Hi)
			if pb > 1e-6 || !(fb.Lo > 1 && fb.Hi < 3) {
				t.Errorf("blocked: p = %g, fit %+v; want p ≤ 1e-6 and a slope near 2", pb, fb)
			}
			if pp < 0.2 || fp.Slope > 0.25 {
				t.Errorf("unblocked: p = %g, slope %g; want no upward trend seen", pp, fp.Slope)
			}
		})
	}
}

func TestMalformedBlocksPanic(t *testing.T) {
	x := []float64{0, 1, 2, 3}
	for _, tc := range []struct {
		blocks []int
		msg    string
	}{
		{[]int{1, 2}, "start at 0"},
		{[]int{2}, "start at 0"},
		{[]int{0, 2, 2}, "strictly increasing"},
		{[]int{0, 3, 1}, "strictly increasing"},
		{[]int{0, 4}, "beyond"},
	} {
		func() {
			defer func() {
				if p, _ := recover().(string); !strings.Contains(p, tc.msg) {
					t.Errorf("blocks %v: panic %q, want one about %q", tc.blocks, p, tc.msg)
				}
			}()
			TheilSenBlocks(x, x, tc.blocks, 0.05)
		}()
	}
}

func TestBlocksWithoutPairs(t *testing.T) {
	x := []float64{0, 1, 2}
	f := TheilSenBlocks(x, x, []int{0, 1, 2}, 0.05)
	if !math.IsNaN(f.Slope) || !math.IsInf(f.Lo, -1) || !math.IsInf(f.Hi, 1) || f.N != 3 {
		t.Errorf("single points only: fit %+v, want NaN slope and infinite bounds", f)
	}
	if p := PGreaterBlocks(x, x, []int{0, 1, 2}, 0); p != 1 {
		t.Errorf("single points only: p = %g, want 1", p)
	}
	// Flat blocks at different levels: every within-block slope is 0.
	f = TheilSenBlocks([]float64{0, 1, 2, 3}, []float64{5, 5, 9, 9}, []int{0, 2}, 0.05)
	if f.Slope != 0 || f.Lo != 0 || f.Hi != 0 {
		t.Errorf("flat blocks: fit %+v, want 0 [0, 0]", f)
	}
}

// 200 series of 128 points each, pooled: 200 blocks, 1.6M pairs.
func BenchmarkTheilSenBlocks200x128(b *testing.B) {
	x, y, blocks := benchGroup()
	b.ReportAllocs()
	for b.Loop() {
		TheilSenBlocks(x, y, blocks, 1e-6)
	}
}

func BenchmarkPGreaterBlocks200x128(b *testing.B) {
	x, y, blocks := benchGroup()
	b.ReportAllocs()
	for b.Loop() {
		PGreaterBlocks(x, y, blocks, 0)
	}
}

func benchGroup() (x, y []float64, blocks []int) {
	r := rand.New(rand.NewPCG(7, 8))
	for s := range 200 {
		blocks = append(blocks, len(x))
		level := float64(r.IntN(1000)) * 64
		for i := range 128 {
			x = append(x, float64(i*300))
			y = append(y, level+float64(r.IntN(5))*64+float64(s%3*i))
		}
	}
	return x, y, blocks
}
