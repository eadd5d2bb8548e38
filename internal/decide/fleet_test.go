package decide

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// A fleet's series as Decide gets them: points in blocks (a series's
// segments between restarts; a group's series and their segments), gaps
// left out.

// pod is one process's points: x in seconds, a segment per point.
type pod struct {
	x, y []float64
	seg  []int
}

// blocked pools pods into one Series, one block per segment of each.
func blocked(budget float64, pods ...pod) Series {
	s := Series{Budget: budget}
	for _, p := range pods {
		for i := range p.x {
			if i == 0 || p.seg[i] != p.seg[i-1] {
				s.Blocks = append(s.Blocks, len(s.X))
			}
			s.X, s.Y = append(s.X, p.x[i]), append(s.Y, p.y[i])
		}
	}
	if len(s.Blocks) <= 1 {
		s.Blocks = nil
	}
	return s
}

// upTo is s with only its points at x ≤ limit: an earlier look.
func upTo(s Series, limit float64) Series {
	out := Series{Budget: s.Budget, Tolerance: s.Tolerance}
	for _, b := range s.blocks() {
		start := len(out.X)
		for i, x := range b.X {
			if x <= limit {
				out.X, out.Y = append(out.X, x), append(out.Y, b.Y[i])
			}
		}
		if len(out.X) > start {
			out.Blocks = append(out.Blocks, start)
		}
	}
	if len(out.Blocks) <= 1 {
		out.Blocks = nil
	}
	return out
}

// fleetPod is a pod over n points 300 s apart from point from to point to
// (pods come and go), growing at slope per second within segments, with
// restarts at random points (back to its base: an OOM kill), gaps (missed
// scrapes), and noise; whole MiB values when ties.
func fleetPod(r *rand.Rand, n, from, to int, slope float64, restarts int, ties bool) pod {
	base := 200 + r.Float64()*100
	cut := map[int]bool{}
	for range restarts {
		cut[from+1+r.IntN(max(1, to-from-2))] = true
	}
	var p pod
	seg, start := 0, from
	for i := from; i < to; i++ {
		if cut[i] {
			seg++
			start = i
		}
		if r.IntN(20) == 0 {
			continue // a missed scrape
		}
		x := float64(i+1) * 300
		y := base + slope*(x-float64(start+1)*300) + r.NormFloat64()*2
		if ties {
			y = math.Round(y)
		}
		p.x, p.y, p.seg = append(p.x, x), append(p.y, y), append(p.seg, seg)
	}
	return p
}

// A clean fleet, decided at looks as a watch with history and then live
// makes them: its series flat between restarts, or growing at exactly
// their budget (the boundary of H0, the hardest case), pods that come and
// go, groups that pool them, caches that fill and stay. Over thousands
// of fleets, the share with any leak verdict is at most α; and a leaking
// group among them is found.
func TestCleanFleetsFalseLeakRate(t *testing.T) {
	runs := 1000 / simDivisor
	if testing.Short() {
		runs = 200
	}
	const alpha, n = 0.05, 128
	var falseRuns, found atomic.Int64
	parallel(runs, func(r *rand.Rand) {
		var fleet []Series
		for j := range 12 {
			budget := 0.0
			if j%2 == 1 {
				budget = 0.01 // per second: the pods grow at exactly it
			}
			from, to := 0, n
			if j%3 == 0 {
				from, to = r.IntN(n/2), n/2+r.IntN(n/2)+1 // came and went
			}
			fleet = append(fleet, blocked(budget, fleetPod(r, n, from, to, budget, r.IntN(4), j%4 == 0)))
		}
		for g := range 3 {
			var pods []pod
			for range 8 {
				from, to := 0, n
				if r.IntN(2) == 0 {
					from, to = r.IntN(n/2), n/2+r.IntN(n/2)+1
				}
				pods = append(pods, fleetPod(r, n, from, to, 0, r.IntN(3), g == 0))
			}
			fleet = append(fleet, blocked(0, pods...))
		}
		// A cache per pod that fills over the first fifth, then stays.
		var caches []pod
		for range 8 {
			p := fleetPod(r, n, 0, n, 0, 0, false)
			for i, x := range p.x {
				p.y[i] += 50 * math.Min(x/(float64(n)/5*300), 1)
			}
			caches = append(caches, p)
		}
		fleet = append(fleet, blocked(0, caches...))
		// The one real leak: a group whose pods climb 0.05/s and restart.
		var leaking []pod
		for range 6 {
			leaking = append(leaking, fleetPod(r, n, 0, n, 0.05, 1+r.IntN(3), false))
		}
		fleet = append(fleet, blocked(0.01, leaking...))

		// The history's look, then live looks as the points come.
		fleetFalse, fleetFound := false, false
		look := 0
		for k := 96; k <= n; k += 16 {
			look++
			series := make([]Series, len(fleet))
			for j := range fleet {
				series[j] = upTo(fleet[j], float64(k)*300)
			}
			undecided := 0
			for j, res := range Decide(series, Config{Alpha: alpha, Look: look, Eligible: true}) {
				switch {
				case res.Decision == Leak && j < len(fleet)-1:
					fleetFalse = true
				case res.Decision == Leak:
					fleetFound = true
				case res.Decision == Undecided:
					undecided++
				}
			}
			if undecided == 0 {
				break
			}
		}
		if fleetFalse {
			falseRuns.Add(1)
		}
		if fleetFound {
			found.Add(1)
		}
	})
	rate := float64(falseRuns.Load()) / float64(runs)
	t.Logf("%d fleets: false-leak rate %.4f (α=%g); the leaking group found in %.1f%%", runs, rate, alpha, 100*float64(found.Load())/float64(runs))
	if rate > alpha {
		t.Errorf("family-wise false-leak rate %.4f > α = %g", rate, alpha)
	}
	if found.Load() < int64(runs)*9/10 {
		t.Errorf("the leaking group found in only %d of %d fleets", found.Load(), runs)
	}
}

// Climb and restart, again and again, is a leak: within its segments it
// grows 3× over its budget; fitted across the restarts, as one block, the
// sawtooth's slope is under it and no leak is seen.
func TestClimbAndRestartIsALeak(t *testing.T) {
	var p pod
	for i := range 128 {
		seg := i / 32
		x := float64(i+1) * 300
		p.x, p.y, p.seg = append(p.x, x), append(p.y, 100+float64(i%32)*10+float64(i%3)), append(p.seg, seg)
	}
	s := blocked(0.01, p)
	if len(s.Blocks) != 4 {
		t.Fatalf("%d blocks, want 4", len(s.Blocks))
	}
	res := Decide([]Series{s}, Config{Alpha: 0.05, Look: 1, Eligible: true})[0]
	if res.Decision != Leak || math.Abs(res.Fit.Slope-10.0/300) > 0.002 {
		t.Errorf("blocked: %v, slope %v; want a leak at %v per second", res.Decision, res.Fit.Slope, 10.0/300)
	}
	whole := Decide([]Series{{X: s.X, Y: s.Y, Budget: s.Budget}}, Config{Alpha: 0.05, Look: 1, Eligible: true})[0]
	if whole.Decision == Leak {
		t.Errorf("one block: a leak; the sawtooth fitted across restarts should not be (slope %v)", whole.Fit.Slope)
	}
}
