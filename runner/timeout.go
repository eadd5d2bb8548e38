package runner

import (
	"context"
	"fmt"
	"time"
)

// WithTimeout makes every op of t run under a deadline d from its start.
// An op still running at its deadline has its context canceled, and if it
// then returns an error, the error is "op timed out after d" wrapping the
// original (errors.Is finds both it and context.DeadlineExceeded). So a
// Command target, whose process exec.CommandContext kills, fails instead
// of hanging. An op that returns nil is not failed, and an op that ends
// with the run's own context is not called timed out. An op that ignores
// its context is not stopped by this; Config.Stall reports it. d ≤ 0
// returns t as it is. The target's String, if it has one, is t's.
func WithTimeout(t Target, d time.Duration) Target {
	if d <= 0 {
		return t
	}
	tt := &timeoutTarget{t: t, d: d}
	tt.cause = &timeoutError{d: d, err: context.DeadlineExceeded}
	if s, ok := t.(fmt.Stringer); ok {
		return &timeoutStringer{tt, s}
	}
	return tt
}

type timeoutTarget struct {
	t     Target
	d     time.Duration
	cause error // this target's own, so nested timeouts tell theirs apart
}

func (t *timeoutTarget) Op(ctx context.Context, i int) error {
	ctx, cancel := context.WithTimeoutCause(ctx, t.d, t.cause)
	defer cancel()
	err := t.t.Op(ctx, i)
	if err != nil && context.Cause(ctx) == t.cause {
		return &timeoutError{d: t.d, err: err}
	}
	return err
}

// timeoutStringer is a timeoutTarget of a target with a String method;
// a target without one gets none, as before.
type timeoutStringer struct {
	*timeoutTarget
	s fmt.Stringer
}

func (t *timeoutStringer) String() string { return t.s.String() }

// timeoutError is an op's error after its deadline.
type timeoutError struct {
	d   time.Duration
	err error
}

func (e *timeoutError) Error() string {
	if e.err == context.DeadlineExceeded {
		return fmt.Sprintf("op timed out after %v", e.d)
	}
	return fmt.Sprintf("op timed out after %v: %v", e.d, e.err)
}

func (e *timeoutError) Unwrap() []error {
	if e.err == context.DeadlineExceeded {
		return []error{e.err}
	}
	return []error{e.err, context.DeadlineExceeded}
}
