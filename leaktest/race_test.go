//go:build race

package leaktest_test

// The race detector makes every op and snapshot several times slower;
// the repeat test then runs 6 rounds, not 12, to keep CI under ten minutes.
const repeatRuns = 6
