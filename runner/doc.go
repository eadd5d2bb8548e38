// Package runner is the hammer: concurrent load on a target, round by
// round. It knows nothing of memory.
//
// A round spreads Jobs ops over Workers workers; when Round returns, no op
// is in flight. That is a quiesce point, where a caller such as leaktest
// may take a snapshot. Ops are numbered 0, 1, 2, … across workers and
// rounds.
package runner
