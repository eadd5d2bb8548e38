//go:build race

package leaktest_test

// The race detector makes every op and snapshot several times slower;
// the repeat test then runs 12 rounds, not 24.
const repeatRuns = 12
