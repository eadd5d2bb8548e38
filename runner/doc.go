// Package runner is the hammer: concurrent load on a target, round by
// round. It knows nothing of memory.
//
// A round spreads Jobs ops over Workers workers; when Round returns, no op
// is in flight. That is a quiesce point, where a caller such as leaktest
// may take a snapshot. Ops are numbered 0, 1, 2, … across workers and
// rounds.
//
// A target that breaks often stops answering rather than failing: an op
// that leaks file descriptors blocks once the process reaches its limit.
// A round whose ops in flight stop completing ends with a *StallError
// (Config.Stall) without waiting for them, and Abort cancels them.
// WithTimeout gives each op of any target a deadline, so a command that
// hangs fails as an op error.
package runner
