package runner

import "fmt"

// OpError is an error an op returned, with its op number.
type OpError struct {
	Op  int
	Err error
}

func (e OpError) Error() string { return fmt.Sprintf("op %d: %v", e.Op, e.Err) }

func (e OpError) Unwrap() error { return e.Err }

// Errors counts the op errors of a run and keeps the first few.
type Errors struct {
	Count int64
	First []OpError
	Last  OpError // the most recent (Err nil when none)
}
