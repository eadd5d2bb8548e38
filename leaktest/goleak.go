package leaktest

import (
	"go.uber.org/goleak"
)

// Teardown runs f after the hammer stops and the last snapshot is taken:
// close the target's server, stop its workers. VerifyNone checks after it.
func Teardown(f func()) Option {
	return option("Teardown", func(c *config) { c.teardown = append(c.teardown, f) })
}

// VerifyNone adds goleak's zero-tolerance end check: after the hammer
// stops and Teardown has run, any goroutine that was not alive before the
// run and is still alive fails the run, reported in the same message with
// goleak's stacks. Your goleak options (IgnoreTopFunction,
// IgnoreAnyFunction, …) pass through. It complements the trend: a handful
// of goroutines left behind is no slope, but it is a leak.
func VerifyNone(opts ...goleak.Option) Option {
	return option("VerifyNone", func(c *config) {
		c.goleak = true
		c.goleakOpts = append(c.goleakOpts, opts...)
	})
}

// goleakBaseline snapshots the goroutines alive before the run.
func (r *run) goleakBaseline() {
	if r.c.goleak {
		r.goleakBefore = goleak.IgnoreCurrent()
	}
}

// goleakCheck runs after teardown; the hammer's workers are closed by then.
func (r *run) goleakCheck() string {
	if !r.c.goleak {
		return ""
	}
	opts := append([]goleak.Option{r.goleakBefore}, r.c.goleakOpts...)
	if err := goleak.Find(opts...); err != nil {
		return err.Error()
	}
	return ""
}
