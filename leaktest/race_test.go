//go:build race

package leaktest_test

// The race detector makes every op and snapshot several times slower
// (a clean run takes ~3.6 s, not 0.4 s); the repeat test then runs 3
// rounds of the 10 clean workloads, not 12, to keep CI, which builds
// everything with -race from a cold cache, under ten minutes. Run it
// without -race for the full 120.
const repeatRuns = 3
