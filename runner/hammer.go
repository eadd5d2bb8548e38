package runner

import (
	"context"
	"errors"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Hammer drives a target round by round with a fixed pool of workers.
// The workers live from the first round to Close, so a round costs two
// channel operations per worker, not a goroutine each.
type Hammer struct {
	target Target
	cfg    Config

	workers []chan struct{}
	done    sync.WaitGroup
	closed  bool

	// The context ops run under: a cancelable child of the ctx given to
	// Round, kept while Round is given that same ctx (see opContext).
	parent   context.Context
	opCtx    context.Context
	opCancel context.CancelFunc

	// Set before a round starts; the start channels publish them.
	ctx      context.Context
	ctxDone  <-chan struct{}
	notify   bool          // the last worker out of the round sends on roundEnd
	next     atomic.Int64  // next op number to hand out
	end      int64         // first op number past this round
	stop     atomic.Bool   // a panic, a stall or cancellation: take no more ops
	counts   []int64       // per worker ops completed this round (no sharing)
	slots    []slot        // per worker op taken and op completed, for watchers
	left     atomic.Int32  // workers not yet done with a notify round
	roundEnd chan struct{} // buffered: the last worker out of a notify round
	panics   atomic.Int64  // ops that panicked this round

	failed   error // a panic, stall or stuck round: Round refuses more
	stuck    *StuckError
	stalled  *StallError
	aborted  bool
	drained  bool  // the failed round's workers all returned
	ops      int64 // completed, as of the last quiesce point (or the stall)
	rounds   int
	slowest  time.Duration // the slowest op the stall watcher saw complete
	timer    *time.Timer
	watch    watch
	mu       sync.Mutex // guards errs and panicked
	errs     Errors
	panicked *PanicError
}

// slot is one worker's progress, read by the round's watcher: op is the
// op it took last and done the op it completed last, so op ≠ done while
// an op is in flight. Padded so workers do not share a cache line.
type slot struct {
	op   atomic.Int64
	done atomic.Int64
	_    [48]byte
}

// New returns a hammer for target. It starts no goroutine until Round.
func New(target Target, cfg Config) (*Hammer, error) {
	if target == nil {
		return nil, errors.New("runner: nil target")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := Validate(target); err != nil {
		return nil, err
	}
	return &Hammer{target: target, cfg: cfg.withDefaults()}, nil
}

// Config is the hammer's configuration with its defaults filled in.
func (h *Hammer) Config() Config { return h.cfg }

// Ops is the number of ops completed as of the last quiesce point, or
// as of the stall when a round stalled.
func (h *Hammer) Ops() int64 { return h.ops }

// Rounds is the number of rounds run.
func (h *Hammer) Rounds() int { return h.rounds }

// Errors returns the op errors so far.
func (h *Hammer) Errors() Errors {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.errs
	e.First = append([]OpError(nil), e.First...)
	return e
}

// Round runs one round of Jobs ops and returns when no op is in flight.
// It returns a *PanicError if an op panicked, or ctx's error if ctx ended
// the round early (each worker stops before its next op). It returns a
// *StallError, without waiting for the ops in flight, if they stopped
// completing (see Config.Stall), and a *StuckError if ops ignored the
// end of ctx for longer than Grace; after either, the hammer is not
// quiesced and Abort cancels the ops. After a panic, a stall or a stuck
// round, Round returns that error again.
//
// Ops run under ctx's profiler labels (pprof.WithLabels), and so does
// what they start.
func (h *Hammer) Round(ctx context.Context) error {
	if h.closed {
		return errors.New("runner: Round after Close")
	}
	if h.failed != nil {
		return h.failed
	}
	if h.aborted {
		return errors.New("runner: Round after Abort")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if h.workers == nil {
		h.start()
	}
	// Workers check ctx's own Done between ops (nil for a context that
	// never ends, the cheapest check): the ops' context only adds Abort,
	// which comes after a stall has already stopped the workers.
	h.ctx, h.ctxDone = h.opContext(ctx), ctx.Done()
	watching := h.cfg.Stall >= 0
	h.notify = watching || ctx.Done() != nil
	start := h.ops
	h.next.Store(start)
	h.end = start + int64(h.cfg.Jobs)
	h.panics.Store(0)
	h.left.Store(int32(len(h.workers)))
	h.done.Add(len(h.workers))
	if watching {
		h.watch.begin(h, start)
	}
	for _, w := range h.workers {
		w <- struct{}{}
	}
	if err := h.wait(ctx, watching); err != nil {
		return err
	}
	for i, c := range h.counts {
		h.ops += c
		h.counts[i] = 0
	}
	h.rounds++
	h.ctx, h.ctxDone = nil, nil
	if h.panicked != nil {
		h.failed = h.panicked
		return h.panicked
	}
	return ctx.Err()
}

// opContext is the context ops run under: a cancelable child of ctx, so
// Abort can cancel the ops of a stalled round. It is kept for as long as
// Round is given the same ctx: canceling it at the end of each round
// would also end whatever a target started under an op's context and
// left running (a lazily started service loop), and a child per round
// left uncanceled would stay registered with ctx until ctx ends.
func (h *Hammer) opContext(ctx context.Context) context.Context {
	if h.opCtx == nil || !sameContext(h.parent, ctx) {
		h.parent = ctx
		h.opCtx, h.opCancel = context.WithCancel(ctx)
	}
	return h.opCtx
}

// sameContext is a == b, false where == would panic (a context whose
// dynamic type is not comparable).
func sameContext(a, b context.Context) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// wait waits for the round to end. A round with a context that never
// ends and no stall watch is a plain WaitGroup wait. Otherwise the last
// worker out signals roundEnd, and the wait also watches ctx and, every
// tick, the workers' progress.
//
// Once ctx is done, workers start no new op, but one already running
// must return by itself; an op that ignores its context for longer than
// Grace leaves the hammer stuck, reported with the op numbers, rather
// than a run that never ends.
func (h *Hammer) wait(ctx context.Context, watching bool) error {
	if !h.notify {
		h.done.Wait()
		return nil
	}
	var tick <-chan time.Time
	if watching {
		tick = h.startTimer(h.watch.tick(h))
	}
	for {
		select {
		case <-h.roundEnd:
			h.stopTimer()
			if watching {
				h.watch.finish(h)
			}
			return nil
		case <-ctx.Done():
			h.stopTimer()
			return h.grace(ctx)
		case <-tick:
			// Now, not the tick's time: a late watcher must not date
			// what it sees to when the timer fired.
			if err := h.watch.poll(h, time.Now()); err != nil {
				return err
			}
			h.timer.Reset(h.watch.tick(h))
		}
	}
}

// grace waits up to Grace for the ops running when ctx ended.
func (h *Hammer) grace(ctx context.Context) error {
	t := time.NewTimer(h.cfg.Grace)
	defer t.Stop()
	select {
	case <-h.roundEnd:
		return nil
	case <-t.C:
	}
	e := &StuckError{Ops: h.inFlight(), Grace: h.cfg.Grace, Cause: ctx.Err()}
	h.stuck, h.failed = e, e
	return e
}

// Abort ends a hammer whose round stalled (or was stuck): it cancels the
// context the round's ops run under, then waits up to grace for the ops
// in flight to return. It returns nil if they all did, else a
// *StuckError naming the ops still running, with the stall (or the end
// of the stuck round's context) as its Cause. After Abort, Round refuses
// to run (returning the stall again after a stall); Close works as
// usual. On a quiesced hammer no op is in flight: Abort cancels the ops'
// context, returns nil, and the hammer runs no more rounds. Like Round,
// it is not to be called concurrently with another method.
func (h *Hammer) Abort(grace time.Duration) error {
	h.aborted = true
	if h.opCancel != nil {
		h.opCancel()
	}
	if (h.stalled == nil && h.stuck == nil) || h.drained {
		return nil
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-h.roundEnd:
		h.drained = true
		return nil
	case <-t.C:
	}
	cause := error(h.stalled)
	if h.stalled == nil {
		cause = h.stuck.Cause
	}
	return &StuckError{Ops: h.inFlight(), Grace: grace, Cause: cause}
}

// inFlight lists the ops in flight, sorted.
func (h *Hammer) inFlight() []int {
	var ops []int
	for i := range h.slots {
		s := &h.slots[i]
		if done, op := s.done.Load(), s.op.Load(); op != done {
			ops = append(ops, int(op))
		}
	}
	slices.Sort(ops)
	return ops
}

func (h *Hammer) startTimer(d time.Duration) <-chan time.Time {
	if h.timer == nil {
		h.timer = time.NewTimer(d)
	} else {
		h.timer.Reset(d)
	}
	return h.timer.C
}

func (h *Hammer) stopTimer() {
	if h.timer != nil {
		h.timer.Stop()
	}
}

// Pause waits the configured Wait between rounds, or until ctx is done.
func (h *Hammer) Pause(ctx context.Context) error {
	if h.cfg.Wait <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(h.cfg.Wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the workers. The hammer cannot be used after. Workers
// still in an op of a stalled or stuck round end when the op returns.
func (h *Hammer) Close() {
	if h.closed {
		return
	}
	h.closed = true
	for _, w := range h.workers {
		close(w)
	}
}

func (h *Hammer) start() {
	h.workers = make([]chan struct{}, h.cfg.Workers)
	h.counts = make([]int64, h.cfg.Workers)
	h.slots = make([]slot, h.cfg.Workers)
	for i := range h.slots {
		h.slots[i].op.Store(-1)
		h.slots[i].done.Store(-1)
	}
	h.roundEnd = make(chan struct{}, 1)
	h.watch.init(h.cfg.Workers)
	for i := range h.workers {
		h.workers[i] = make(chan struct{}, 1)
		go h.work(i, h.workers[i])
	}
}

func (h *Hammer) work(id int, start <-chan struct{}) {
	for range start {
		notify := h.notify // read before Done: the next round writes it
		h.counts[id] = h.runOps(id)
		h.done.Done()
		if notify && h.left.Add(-1) == 0 {
			h.roundEnd <- struct{}{}
		}
	}
}

// runOps takes op numbers until the round is out of them, returning how
// many completed. Ops after a panic, a stall or cancellation are not
// started.
func (h *Hammer) runOps(id int) (completed int64) {
	ctx, done := h.ctx, h.ctxDone
	// The worker takes the profiler labels of Round's context (none, when
	// it has none), and what its ops start inherits them: a CPU profile,
	// and Go 1.27's goroutine leak profile, tell the ops' goroutines
	// apart. It allocates nothing.
	pprof.SetGoroutineLabels(ctx)
	s := &h.slots[id]
	for {
		if h.stop.Load() {
			return completed
		}
		select {
		case <-done:
			return completed
		default:
		}
		i := h.next.Add(1) - 1
		if i >= h.end {
			return completed
		}
		s.op.Store(i)
		err, ok := h.call(ctx, int(i))
		if !ok {
			// It panicked: not completed, no longer in flight, and the
			// run stops.
			s.op.Store(s.done.Load())
			return completed
		}
		// An op cut short because the run itself ended (its cap, a
		// cancel, Abort) did not fail: the target did nothing wrong.
		if err != nil && ctx.Err() == nil {
			h.record(int(i), err)
		}
		s.done.Store(i) // after record: a watcher seeing it sees the error
		completed++
	}
}

// call runs one op, turning a panic into a *PanicError that stops the run.
func (h *Hammer) call(ctx context.Context, i int) (err error, ok bool) {
	defer func() {
		if v := recover(); v != nil {
			h.mu.Lock()
			if h.panicked == nil {
				h.panicked = &PanicError{Op: i, Value: v, Stack: debug.Stack()}
			}
			h.mu.Unlock()
			h.panics.Add(1)
			h.stop.Store(true)
		}
	}()
	return h.target.Op(ctx, i), true
}

func (h *Hammer) record(i int, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.errs.Count++
	h.errs.Last = OpError{Op: i, Err: err}
	if len(h.errs.First) < h.cfg.KeepErrors {
		h.errs.First = append(h.errs.First, OpError{Op: i, Err: err})
	}
}
