package leaktest

import (
	"math"
)

// points is a symbol's fitted points, on both axes, in blocks: one block
// for most symbols; for a fleet's, one per segment between restarts (and
// per series of a group), gaps left out.
type points struct {
	ops, secs, vals []float64
	blocks          []int // block starts; nil: one block
	restarts        int   // restarts seen in the fitted points
	series          int   // series pooled (a group's); 0 for one symbol
	first, last     float64
}

// noteFleet records the fleet symbols of probe p's samples and their
// groups.
func (r *run) noteFleet(p Probe, samples []Sample) {
	f, ok := p.(Fleet)
	if !ok {
		return
	}
	for _, s := range samples {
		if _, ok := r.fleet[s.Symbol]; ok {
			continue
		}
		g := f.Group(s.Symbol)
		r.fleet[s.Symbol] = g
		if g != s.Symbol {
			r.members[g] = append(r.members[g], s.Symbol)
		}
	}
}

func (r *run) isFleet(sym Symbol) bool {
	_, ok := r.fleet[sym]
	return ok
}

// decided lists the symbols a look decides: the history's, in order,
// with the members of a group replaced by the group, where its first
// member was.
func (r *run) decided() []Symbol {
	var out []Symbol
	seen := map[Symbol]bool{}
	for _, sym := range r.hist.order {
		if g, ok := r.fleet[sym]; ok && g != sym {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
			continue
		}
		out = append(out, sym)
	}
	return out
}

// points returns sym's fitted points (up to a break).
func (r *run) points(sym Symbol) points {
	if members, ok := r.members[sym]; ok {
		return r.group(members)
	}
	ops, secs, vals := r.fitted(sym)
	seg := r.hist.segments(sym)
	if seg == nil {
		p := points{ops: ops, secs: secs, vals: vals}
		if len(vals) > 0 {
			p.first, p.last = vals[0], vals[len(vals)-1]
		}
		return p
	}
	var p points
	p.first, p.last = math.NaN(), math.NaN()
	last := int32(-1)
	for i, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		if len(p.vals) == 0 || seg[i] != last {
			if len(p.vals) > 0 {
				// Every restart seen, also those between kept points.
				p.restarts += int(seg[i] - last)
			}
			p.blocks = append(p.blocks, len(p.vals))
			last = seg[i]
		}
		p.ops, p.secs, p.vals = append(p.ops, ops[i]), append(p.secs, secs[i]), append(p.vals, v)
	}
	if n := len(p.vals); n > 0 {
		p.first, p.last = p.vals[0], p.vals[n-1]
	}
	if len(p.blocks) <= 1 {
		p.blocks = nil
	}
	return p
}

// group pools its members' points: each member's segments are blocks of
// the group's. Its first and last are the members' means.
func (r *run) group(members []Symbol) points {
	var p points
	var firsts, lasts float64
	for _, m := range members {
		if _, ok := r.hist.cols[m]; !ok {
			continue // seen only between kept points: no column yet
		}
		mp := r.points(m)
		if len(mp.vals) == 0 {
			continue
		}
		p.series++
		p.restarts += mp.restarts
		firsts += mp.first
		lasts += mp.last
		base := len(p.vals)
		if mp.blocks == nil {
			p.blocks = append(p.blocks, base)
		}
		for _, b := range mp.blocks {
			p.blocks = append(p.blocks, base+b)
		}
		p.ops, p.secs, p.vals = append(p.ops, mp.ops...), append(p.secs, mp.secs...), append(p.vals, mp.vals...)
	}
	p.first, p.last = math.NaN(), math.NaN()
	if p.series > 0 {
		p.first, p.last = firsts/float64(p.series), lasts/float64(p.series)
	}
	if len(p.blocks) <= 1 {
		p.blocks = nil
	}
	return p
}

// gone reports a fleet symbol missing from the newest snapshot (a pod
// replaced or scaled away), or a group all of whose series are: no more
// points will come, so it does not hold a watch that waits for them.
func (r *run) gone(sym Symbol) bool {
	if members, ok := r.members[sym]; ok {
		for _, m := range members {
			if !r.gone(m) {
				return false
			}
		}
		return true
	}
	if !r.isFleet(sym) {
		return false
	}
	col := r.hist.cols[sym]
	return len(col) == 0 || math.IsNaN(col[len(col)-1])
}
