package leaktest

import "time"

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
}

const (
	defaultMaxPoints = 128
	maxWarmPoints    = 8
)

func newHistory(start time.Time, max int) *history {
	return &history{max: max, start: start, cols: make(map[Symbol][]float64), stalled: -1}
}

func (h *history) len() int { return len(h.ops) }

// add appends one snapshot. Symbols missing from it are zero; symbols new
// in it were zero before.
func (h *history) add(at time.Time, ops, errs int64, warmUp bool, samples []Sample) {
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
		}
		if len(col) == n+1 {
			col[n] += s.Value // a probe reported the symbol twice: sum
		} else {
			col = append(col, s.Value)
		}
		h.cols[s.Symbol] = col
	}
	for sym, col := range h.cols {
		if len(col) == n {
			h.cols[sym] = append(col, 0)
		}
	}
	if warmUp && h.warm > maxWarmPoints {
		h.dropEveryOther(0, h.warm)
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
	compact := func(v []float64) []float64 {
		out := v[:0]
		for i, x := range v {
			if keep(i) {
				out = append(out, x)
			}
		}
		return out
	}
	dropped := 0
	for i := from; i < to; i++ {
		if !keep(i) {
			dropped++
		}
	}
	h.ops = compact(h.ops)
	h.secs = compact(h.secs)
	h.errs = compact(h.errs)
	for sym, col := range h.cols {
		h.cols[sym] = compact(col)
	}
	if h.warm >= to {
		h.warm -= dropped
	} else if h.warm > from {
		h.warm = from + (h.warm-from+1)/2
	}
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
