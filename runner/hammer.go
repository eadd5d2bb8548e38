package runner

import (
	"context"
	"errors"
	"runtime/debug"
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

	// Set before a round starts; the start channels publish them.
	ctx      context.Context
	ctxDone  <-chan struct{}
	next     atomic.Int64   // next op number to hand out
	end      int64          // first op number past this round
	stop     atomic.Bool    // a panic or cancellation: take no more ops
	counts   []int64        // per worker ops completed this round (no sharing)
	current  []atomic.Int64 // per worker op in flight, -1 when idle
	roundEnd chan struct{}  // closed when every worker is done with the round
	stuck    *StuckError
	ops      int64 // completed, as of the last quiesce point
	rounds   int
	mu       sync.Mutex // guards errs and panicked
	errs     Errors
	panicked *PanicError
}

// New returns a hammer for target. It starts no goroutine until Round.
func New(target Target, cfg Config) (*Hammer, error) {
	if target == nil {
		return nil, errors.New("runner: nil target")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Hammer{target: target, cfg: cfg.withDefaults()}, nil
}

// Config is the hammer's configuration with its defaults filled in.
func (h *Hammer) Config() Config { return h.cfg }

// Ops is the number of ops completed as of the last quiesce point.
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
// the round early (each worker stops before its next op).
func (h *Hammer) Round(ctx context.Context) error {
	if h.closed {
		return errors.New("runner: Round after Close")
	}
	if h.panicked != nil {
		return h.panicked
	}
	if h.stuck != nil {
		return h.stuck
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if h.workers == nil {
		h.start()
	}
	h.ctx, h.ctxDone = ctx, ctx.Done()
	h.next.Store(h.ops)
	h.end = h.ops + int64(h.cfg.Jobs)
	h.done.Add(len(h.workers))
	for _, w := range h.workers {
		w <- struct{}{}
	}
	if err := h.wait(ctx); err != nil {
		return err
	}
	for i, c := range h.counts {
		h.ops += c
		h.counts[i] = 0
	}
	h.rounds++
	h.ctx, h.ctxDone = nil, nil
	if h.panicked != nil {
		return h.panicked
	}
	return ctx.Err()
}

// wait waits for the round to end. Once ctx is done, workers start no new
// op, but one already running must return by itself; an op that ignores
// its context for longer than Grace leaves the hammer stuck, reported
// with the op numbers, rather than a run that never ends.
func (h *Hammer) wait(ctx context.Context) error {
	if ctx.Done() == nil {
		h.done.Wait() // a context that never ends: no watcher needed
		return nil
	}
	ended := make(chan struct{})
	go func() { h.done.Wait(); close(ended) }()
	select {
	case <-ended:
		return nil
	case <-ctx.Done():
	}
	t := time.NewTimer(h.cfg.Grace)
	defer t.Stop()
	select {
	case <-ended:
		return nil
	case <-t.C:
	}
	e := &StuckError{Grace: h.cfg.Grace, Cause: ctx.Err()}
	for i := range h.current {
		if op := h.current[i].Load(); op >= 0 {
			e.Ops = append(e.Ops, int(op))
		}
	}
	h.stuck = e
	return e
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

// Close stops the workers. The hammer cannot be used after.
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
	h.current = make([]atomic.Int64, h.cfg.Workers)
	for i := range h.current {
		h.current[i].Store(-1)
	}
	for i := range h.workers {
		h.workers[i] = make(chan struct{}, 1)
		go h.work(i, h.workers[i])
	}
}

func (h *Hammer) work(id int, start <-chan struct{}) {
	for range start {
		h.counts[id] = h.runOps(id)
		h.done.Done()
	}
}

// runOps takes op numbers until the round is out of them, returning how
// many completed. Ops after a panic or cancellation are not started.
func (h *Hammer) runOps(id int) (completed int64) {
	ctx, done := h.ctx, h.ctxDone
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
		h.current[id].Store(i)
		err, ok := h.call(ctx, int(i))
		h.current[id].Store(-1)
		if !ok {
			return completed // it panicked: not completed, and the run stops
		}
		// An op cut short because the run itself ended (its cap, a
		// cancel) did not fail: the target did nothing wrong.
		if err != nil && ctx.Err() == nil {
			h.record(int(i), err)
		}
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
