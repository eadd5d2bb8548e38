package runner

import "fmt"

// PanicError is an op that panicked. It stops the run.
type PanicError struct {
	Op    int
	Value any
	Stack []byte // the panicking goroutine's stack, from debug.Stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("op %d panicked: %v\n\n%s", e.Op, e.Value, e.Stack)
}

// Unwrap lets errors.Is and errors.As see a panic value that is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}
