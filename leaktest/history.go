package leaktest

import (
	"math"
	"time"
)

// history keeps the snapshots of a run as columns, one per symbol, with a
// fixed cap: when it is full, every other point after warm-up is dropped
// and the caller doubles its snapshot spacing. Memory is then bounded by
// symbols × cap however long the run, and the points stay evenly spread,
// which is what the fit wants.
type history struct {
	max   int
	start time.Time
	ops   []float64
	secs  []float64
	errs  []float64 // op errors so far, at each point
	warm  int       // points [0, warm) are warm-up
	// stalled is the point taken with ops in flight (a stalled target's
	// last), or -1.
	stalled int
	cols    map[Symbol][]float64
	order   []Symbol // first-seen order, for stable reports
	// segs holds, for a fleet's symbols (a probe's that is a Fleet), the
	// restarts seen up to each point: the point's segment. Their columns
	// have NaN where the symbol was missing (a gap), not 0.
	segs map[Symbol][]int32
	cur  map[Symbol]segment // each fleet symbol's latest value and segment, over every point seen
}

// segment is where a fleet series is: its latest value, and how many
// restarts came before it.
type segment struct {
	last float64
	n    int32
}

const (
	defaultMaxPoints = 128
	maxWarmPoints    = 8
)

func newHistory(start time.Time, max int) *history {
	return &history{max: max, start: start, cols: make(map[Symbol][]float64), segs: make(map[Symbol][]int32), cur: make(map[Symbol]segment), stalled: -1}
}

func (h *history) len() int { return len(h.ops) }

// add appends one snapshot. Symbols missing from it are zero; symbols new
// in it were zero before. A fleet's symbols (fleet reports them) are
// missing instead: NaN, a gap; and a drop of more than half from their
// last value is a restart, which starts a new segment.
func (h *history) add(at time.Time, ops, errs int64, warmUp bool, samples []Sample, fleet func(Symbol) bool) {
	h.observe(samples, fleet)
	n := len(h.ops)
	h.ops = append(h.ops, float64(ops))
	h.errs = append(h.errs, float64(errs))
	h.secs = append(h.secs, at.Sub(h.start).Seconds())
	if warmUp {
		h.warm = n + 1
	}
	for _, s := range samples {
		col, ok := h.cols[s.Symbol]
		if !ok {
			col = make([]float64, n, h.max+1)
			h.order = append(h.order, s.Symbol)
			if fleet != nil && fleet(s.Symbol) {
				for i := range col {
					col[i] = math.NaN()
				}
				h.segs[s.Symbol] = make([]int32, n, h.max+1)
			}
		}
		if len(col) == n+1 {
			col[n] += s.Value // a probe reported the symbol twice: sum
		} else {
			if seg, ok := h.segs[s.Symbol]; ok {
				h.segs[s.Symbol] = append(seg, h.cur[s.Symbol].n)
			}
			col = append(col, s.Value)
		}
		h.cols[s.Symbol] = col
	}
	for sym, col := range h.cols {
		if len(col) == n {
			if seg, ok := h.segs[sym]; ok {
				h.cols[sym] = append(col, math.NaN())
				h.segs[sym] = append(seg, h.cur[sym].n)
				continue
			}
			h.cols[sym] = append(col, 0)
		}
	}
	if warmUp && h.warm > maxWarmPoints {
		h.dropEveryOther(0, h.warm)
	}
}

// restartShare is how far a fleet series must drop, as a share of its
// last value, to be a restart: an OOM kill or a deploy frees most of a
// process's memory, and noise never halves it.
const restartShare = 0.5

// observe follows the fleet symbols of samples that are seen, whether or
// not they are kept as a point (a history read faster than it is kept):
// a drop under restartShare of the value before is a restart, so none is
// missed between two kept points.
func (h *history) observe(samples []Sample, fleet func(Symbol) bool) {
	if fleet == nil {
		return
	}
	for _, s := range samples {
		if !fleet(s.Symbol) {
			continue
		}
		c, ok := h.cur[s.Symbol]
		if ok && c.last > 0 && s.Value < restartShare*c.last {
			c.n++
		}
		c.last = s.Value
		h.cur[s.Symbol] = c
	}
}

// full reports that the next add would pass the cap.
func (h *history) full() bool { return len(h.ops) >= h.max }

// thin drops every other point after warm-up, keeping the first after
// warm-up (the "first" profile) and the newest.
func (h *history) thin() { h.dropEveryOther(h.warm, len(h.ops)) }

// dropEveryOther drops points from+1, from+3, … below to, but never the
// point at to-1.
func (h *history) dropEveryOther(from, to int) {
	keep := func(i int) bool { return i < from || i >= to || (i-from)%2 == 0 || i == to-1 }
	dropped := 0
	for i := from; i < to; i++ {
		if !keep(i) {
			dropped++
		}
	}
	h.ops = compact(h.ops, keep)
	h.secs = compact(h.secs, keep)
	h.errs = compact(h.errs, keep)
	for sym, col := range h.cols {
		h.cols[sym] = compact(col, keep)
	}
	for sym, seg := range h.segs {
		h.segs[sym] = compact(seg, keep)
	}
	if h.warm >= to {
		h.warm -= dropped
	} else if h.warm > from {
		h.warm = from + (h.warm-from+1)/2
	}
}

// compact keeps the elements of v whose index keep accepts, in place.
func compact[T any](v []T, keep func(int) bool) []T {
	out := v[:0]
	for i, x := range v {
		if keep(i) {
			out = append(out, x)
		}
	}
	return out
}

// series returns one symbol's series (copies, safe to keep).
func (h *history) series(sym Symbol) Series {
	col := h.cols[sym]
	return Series{
		Symbol:  sym,
		Ops:     append([]float64(nil), h.ops...),
		Seconds: append([]float64(nil), h.secs...),
		Values:  append([]float64(nil), col...),
		WarmUp:  h.warm,
	}
}

// segments returns the post-warm-up part of a fleet symbol's segments
// (not a copy); nil for another symbol.
func (h *history) segments(sym Symbol) []int32 {
	if seg, ok := h.segs[sym]; ok {
		return seg[h.warm:]
	}
	return nil
}

// fitted returns the post-warm-up part of a symbol's column (not a copy).
func (h *history) fitted(sym Symbol) (ops, secs, values []float64) {
	return h.ops[h.warm:], h.secs[h.warm:], h.cols[sym][h.warm:]
}

// snapshots renders the kept points as Snapshots, with only the symbols
// that changed over the run (a constant symbol adds nothing to a chart and
// would swell the JSON by thousands of clean sites).
func (h *history) snapshots() []Snapshot {
	var changing []Symbol
	for _, sym := range h.order {
		col := h.cols[sym]
		for _, v := range col[1:] {
			if v != col[0] {
				changing = append(changing, sym)
				break
			}
		}
	}
	out := make([]Snapshot, len(h.ops))
	for i := range out {
		el := time.Duration(h.secs[i] * float64(time.Second))
		out[i] = Snapshot{Time: h.start.Add(el), Elapsed: el, Ops: int64(h.ops[i]), WarmUp: i < h.warm, Stalled: i == h.stalled, Values: make(map[Symbol]float64, len(changing))}
		for _, sym := range changing {
			out[i].Values[sym] = h.cols[sym][i]
		}
	}
	return out
}
