package runner

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/units"
)

// StallError is a round in which ops were in flight but none completed
// for Threshold (see Config.Stall): the target stopped answering. An op
// that leaks file descriptors, say, blocks for good once RLIMIT_NOFILE
// is reached, and LastErr then says "too many open files". Round returns
// it at once, without waiting for the ops in flight, so the hammer is
// not quiesced: Ops counts the ops completed up to the stall, for a last
// snapshot taken there, and Abort cancels the ops in flight.
type StallError struct {
	Ops       []int         // the ops in flight, sorted
	Completed int64         // ops completed in the hammer's life, the stalled round's included
	LastOp    int           // the highest op completed in the stalled round (ops are handed out in order); -1 if none
	Since     time.Duration // since the last op completed, or since the round began if none did
	Threshold time.Duration
	// LastErr is the most recent op error (an OpError), or the
	// *PanicError of an op of the round that panicked (whose lock, say,
	// the ops in flight wait for); nil if neither.
	LastErr error
}

func (e *StallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no op completed for %v (threshold %v", roughly(e.Since), roughly(e.Threshold))
	if e.Completed == 0 {
		b.WriteString(" before the first op completes")
	}
	fmt.Fprintf(&b, "): ops %v in flight since ", e.Ops)
	if e.LastOp >= 0 {
		fmt.Fprintf(&b, "op %s completed", units.Group(int64(e.LastOp)))
	} else {
		b.WriteString("the round began")
	}
	var pe *PanicError
	switch {
	case errors.As(e.LastErr, &pe):
		fmt.Fprintf(&b, "; op %d panicked: %v", pe.Op, pe.Value)
	case e.LastErr != nil:
		fmt.Fprintf(&b, "; the last op error: %v", e.LastErr)
	}
	return b.String()
}

// roughly rounds d for a message: 2.1s, 350ms.
func roughly(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= 10*time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d
}

// watch is a round's stall watcher. It runs on Round's goroutine, every
// tick, and reads only the workers' slots and the next op number, so
// the ops themselves pay nothing for it: no clock is read per op.
// Completions are seen when a worker's completed op changes. An op is
// timed from above, to the watcher's resolution: from the tick before
// the first that saw it in flight to the tick that saw it done, or, if
// no tick saw it in flight, the time between two ticks. So a watcher
// that is late (a loaded machine) can only make the threshold larger,
// never call a slow op's wait a stall; and once an op has completed,
// the threshold is at least about 10 ticks. Likewise the quiet time
// held against the threshold grows by at most two ticks a tick: a
// process paused as a whole (a VM's steal time, a suspended laptop)
// gives its workers ticks of their own to show progress before any
// stall is called.
type watch struct {
	start    int64         // the round's first op number
	last     time.Time     // when a completion was last seen, or the round began
	quiet    time.Duration // since last, counting at most two ticks a tick
	prev     time.Time     // the last tick, or when the round began
	any      bool          // an op of the hammer's life has completed
	progress bool          // an op of this round has completed
	next     int64         // next op number as of the last tick
	done     []int64       // per worker completed op as of the last tick
	seen     []int64       // per worker op seen in flight, -1 if none
	from     []time.Time
}

func (w *watch) init(workers int) {
	w.done = make([]int64, workers)
	w.seen = make([]int64, workers)
	w.from = make([]time.Time, workers)
}

// begin starts watching a round, before its workers start.
func (w *watch) begin(h *Hammer, start int64) {
	now := time.Now()
	w.start, w.last, w.prev, w.next = start, now, now, start
	w.quiet = 0
	w.any = w.any || h.ops > 0
	w.progress = false
	for i := range h.slots {
		w.done[i] = h.slots[i].done.Load()
		w.seen[i] = -1
	}
}

// threshold is how long ops in flight may go without one completing.
func (w *watch) threshold(h *Hammer) time.Duration {
	stall := h.cfg.Stall
	if !w.any {
		return times(5, stall)
	}
	return max(stall, times(10, h.slowest))
}

// tick is how often the watcher looks: often enough to time ops to a
// few tens of milliseconds, seldom enough to cost nothing.
func (w *watch) tick(h *Hammer) time.Duration {
	return max(10*time.Millisecond, min(w.threshold(h)/4, 25*time.Millisecond))
}

// poll looks at the workers at now and returns a *StallError if the
// round has stalled.
func (w *watch) poll(h *Hammer, now time.Time) error {
	inFlight, progress := 0, false
	for i := range h.slots {
		s := &h.slots[i]
		done, op := s.done.Load(), s.op.Load()
		if done != w.done[i] {
			w.done[i] = done
			progress = true
			w.timeOps(h, i, now)
		}
		if op != done {
			inFlight++
			if w.seen[i] != op {
				w.seen[i], w.from[i] = op, w.prev
			}
		}
	}
	if progress {
		w.progress, w.any, w.last, w.quiet = true, true, now, 0
	} else {
		w.quiet += min(now.Sub(w.prev), 2*w.tick(h))
	}
	w.prev = now
	// A worker that took an op number since the last tick may not have
	// published it yet: judge only a still picture.
	next := h.next.Load()
	still := next == w.next
	w.next = next
	threshold := w.threshold(h)
	if inFlight == 0 || !still || w.quiet < threshold {
		return nil
	}
	return w.stall(h, now.Sub(w.last), threshold)
}

// timeOps times the ops worker i completed since the last tick: at most
// since the tick before the op seen in flight, or since the last tick.
func (w *watch) timeOps(h *Hammer, i int, now time.Time) {
	from := w.prev
	if w.seen[i] >= 0 && w.seen[i] <= w.done[i] {
		from = w.from[i]
		w.seen[i] = -1
	}
	h.slowest = max(h.slowest, now.Sub(from))
}

// finish times the ops completed since the last tick once the round has
// ended.
func (w *watch) finish(h *Hammer) {
	now := time.Now()
	for i := range h.slots {
		if done := h.slots[i].done.Load(); done != w.done[i] {
			w.done[i] = done
			w.timeOps(h, i, now)
		}
	}
}

// stall ends the round: no op is taken after it, Ops counts the ops
// completed up to it, and the ops in flight are left running.
func (w *watch) stall(h *Hammer, since, threshold time.Duration) error {
	h.stop.Store(true)
	h.stopTimer()
	ops := h.inFlight()
	taken := min(h.next.Load(), h.end) - w.start
	completed := max(0, taken-int64(len(ops))-h.panics.Load())
	h.ops = w.start + completed
	e := &StallError{Ops: ops, Completed: h.ops, LastOp: -1, Since: since, Threshold: threshold}
	if w.progress {
		for i := range h.slots {
			e.LastOp = max(e.LastOp, int(h.slots[i].done.Load()))
		}
	}
	h.mu.Lock()
	if h.panicked != nil {
		e.LastErr = h.panicked
	} else if h.errs.Last.Err != nil {
		e.LastErr = h.errs.Last
	}
	h.mu.Unlock()
	h.stalled, h.failed = e, e
	return e
}

// times is n × d, saturated rather than overflowing.
func times(n int64, d time.Duration) time.Duration {
	if d > time.Duration(math.MaxInt64/n) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(n) * d
}
