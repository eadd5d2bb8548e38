package runner

import (
	"fmt"
	"time"
)

// StuckError is a round whose ops did not return within Grace after its
// context ended: the target does not honour its context. The hammer is
// not quiesced, so nothing more may be measured; the ops' goroutines stay
// blocked.
type StuckError struct {
	Ops   []int
	Grace time.Duration
	Cause error
}

func (e *StuckError) Error() string {
	return fmt.Sprintf("ops %v still running %v after the run ended (%v): the target does not honour its context", e.Ops, e.Grace, e.Cause)
}

func (e *StuckError) Unwrap() error { return e.Cause }
