package runner

import "context"

// Target is the system under test as the hammer sees it.
type Target interface {
	// Op performs job i. It should return promptly once ctx is done.
	Op(ctx context.Context, i int) error
}

// Validate checks a target that can be checked before it runs (an HTTP
// target's method, URL and headers), as New does: a *FieldError names
// what cannot work. Others are valid.
func Validate(t Target) error {
	if v, ok := t.(interface{ validate() error }); ok {
		return v.validate()
	}
	return nil
}

// Func makes a target of a Go function. i is the op number, unique across
// workers; a non-nil error is counted as an op error and the run goes on.
func Func(f func(ctx context.Context, i int) error) Target {
	return funcTarget(f)
}

type funcTarget func(ctx context.Context, i int) error

func (f funcTarget) Op(ctx context.Context, i int) error { return f(ctx, i) }

func (funcTarget) String() string { return "runner.Func" }
