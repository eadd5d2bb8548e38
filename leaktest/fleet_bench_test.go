package leaktest_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/heappeak"
	"github.com/leakslope/leakslope/leaktest"
)

// The goal: ten thousand series in one query are decided in
// seconds, with leakslope's memory bounded. The history keeps at most 128
// points per series, so the peak heap should grow with series × 128, not
// with series × steps.
const (
	fleetBenchStep  = 30 * time.Second
	fleetBenchSteps = 1440 // 12 h
	fleetBenchMiB   = 1 << 20
)

// benchFleet is a fleet's history generated step by step, never held
// whole: 10,000 series × 1440 steps would be 115 MB of float64s, which
// would swamp the heap being measured.
//
// By index i:
//   - i%500 == 7: leaks 16, 32 or 64 MiB/h; one that passes 300 MiB is
//     OOM-killed back to its base (the 32 MiB/h ones once, the 64 twice);
//   - i%50 == 3: clean, restarted once by a deploy from 2.5× its base to
//     its base (a drop of more than half: a new segment);
//   - i%20 == 11: clean, missing for one stretch of 20–80 steps;
//   - the rest clean; noise by i%3 none, sd 1 MiB or sd 8 MiB.
type benchFleet struct {
	syms    []leaktest.Symbol
	base    []float64
	restart []int // clean restarters' step of restart, else -1
	gapFrom []int // first missing step, else -1
	gapLen  []int
	leak    []float64 // MiB/h, 0 when clean
	leaking map[leaktest.Symbol]bool
	addTime time.Duration // time spent in leaktest's add, last History
}

func newBenchFleet(n int) *benchFleet {
	r := rand.New(rand.NewPCG(7, uint64(n)))
	f := &benchFleet{leaking: map[leaktest.Symbol]bool{}}
	for i := range n {
		sym := leaktest.Sym(leaktest.KindProm, fmt.Sprintf(`app_memory_bytes{instance="10.%d.%d.%d:8080",job="bench"}`, i>>16, (i>>8)&255, i&255))
		f.syms = append(f.syms, sym)
		f.base = append(f.base, (160+80*r.Float64())*fleetBenchMiB)
		restart, gapFrom, gapLen, leak := -1, -1, 0, 0.0
		switch {
		case i%500 == 7:
			leak = []float64{16, 32, 64}[(i/500)%3]
			f.leaking[sym] = true
		case i%50 == 3:
			restart = 120 + r.IntN(fleetBenchSteps-240)
		case i%20 == 11:
			gapLen = 20 + r.IntN(61)
			gapFrom = r.IntN(fleetBenchSteps - gapLen - 20)
		}
		f.restart, f.gapFrom, f.gapLen, f.leak = append(f.restart, restart), append(f.gapFrom, gapFrom), append(f.gapLen, gapLen), append(f.leak, leak)
	}
	return f
}

func (f *benchFleet) Name() string { return "bench fleet" }

func (f *benchFleet) Take(context.Context) ([]leaktest.Sample, error) {
	return nil, errors.New("bench fleet: history only (MaxDuration(0))")
}

func (f *benchFleet) Group(sym leaktest.Symbol) leaktest.Symbol { return sym }

// History generates the steps in order, the last at to. One samples slice
// is reused across steps: leaktest copies the values into its columns
// (history.add) and keeps nothing of the slice.
func (f *benchFleet) History(ctx context.Context, from, to time.Time, _ time.Duration, add func(time.Time, []leaktest.Sample) error) error {
	r := rand.New(rand.NewPCG(1, 2)) // the same data every op
	start := to.Add(-(fleetBenchSteps - 1) * fleetBenchStep)
	if start.Before(from) {
		start = from
	}
	samples := make([]leaktest.Sample, 0, len(f.syms))
	f.addTime = 0
	for step := range fleetBenchSteps {
		at := start.Add(time.Duration(step) * fleetBenchStep)
		if at.After(to) {
			break
		}
		samples = samples[:0]
		for i, sym := range f.syms {
			if g := f.gapFrom[i]; g >= 0 && step >= g && step < g+f.gapLen[i] {
				continue
			}
			v := f.base[i]
			switch {
			case f.leak[i] > 0:
				// Climb and restart: the step it last started at.
				perStep := f.leak[i] * fleetBenchMiB * fleetBenchStep.Hours()
				v += perStep * float64(step%int(300*fleetBenchMiB/perStep+1))
			case f.restart[i] >= 0 && step < f.restart[i]:
				v *= 2.5
			}
			// Uniform noise of sd 0, 1 or 8 MiB: cheaper than normal, and
			// the fit does not care.
			if sd := []float64{0, 1, 8}[i%3]; sd > 0 {
				v += (r.Float64()*2 - 1) * 1.7320508 * sd * fleetBenchMiB
			}
			samples = append(samples, leaktest.Sample{Symbol: sym, Value: v})
		}
		t := time.Now()
		err := add(at, samples)
		f.addTime += time.Since(t)
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// benchWatchSince runs one 12-hour history watch of n series per op.
func benchWatchSince(b *testing.B, n int) {
	f := newBenchFleet(n)
	dir := b.TempDir() // one directory: each op overwrites its files
	var peak, addSecs float64
	var verdicts int
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		// The peak is the op's own, not the garbage of the one before.
		b.StopTimer()
		runtime.GC()
		h := heappeak.Start()
		b.StartTimer()
		rep, err := leaktest.Watch(context.Background(),
			leaktest.WithProbes(f),
			leaktest.Since(12*time.Hour),
			leaktest.Interval(fleetBenchStep),
			leaktest.MaxDuration(0),
			leaktest.WithBudget("prom:* <= 4MiB/h"),
			leaktest.UntilAllDecided(),
			leaktest.ArtifactsDir(dir),
		)
		b.StopTimer()
		peak = max(peak, h.End())
		addSecs += f.addTime.Seconds()
		if err != nil {
			b.Fatalf("watch: %v", err)
		}
		verdicts = len(rep.Verdicts)
		found := 0
		for _, v := range rep.Leaks() {
			if !f.leaking[v.Symbol] {
				b.Fatalf("%s: a leak verdict, but it does not leak (%.0f B/s)", v.Symbol, v.Trend.PerSecond)
			}
			found++
		}
		if found != len(f.leaking) {
			b.Fatalf("%d leaks found of %d", found, len(f.leaking))
		}
		if verdicts != n {
			b.Fatalf("%d verdicts, want one per series, %d", verdicts, n)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(verdicts), "series/op")
	b.ReportMetric(peak, "peak-heap-MiB")
	// report.json is written whole from memory: its size bounds the heap
	// from below.
	if fi, err := os.Stat(filepath.Join(dir, "report.json")); err == nil {
		b.ReportMetric(float64(fi.Size())/(1<<20), "json-MiB")
	}
	b.ReportMetric(addSecs/float64(b.N), "add-s/op")
}

// BenchmarkWatchSince10kSeries: Watch with Since over 10,000 series ×
// 12 h at 30 s, leaking ones among them. Goals: seconds per op, and a peak
// heap bounded by series × 128 points, not by the 1440 steps read.
func BenchmarkWatchSince10kSeries(b *testing.B) { benchWatchSince(b, 10_000) }

// BenchmarkWatchSince: the same at 1k and 10k series, to show how time
// and memory grow with the series (linearly, if the bound holds).
func BenchmarkWatchSince(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("series=%d", n), func(b *testing.B) { benchWatchSince(b, n) })
	}
}
