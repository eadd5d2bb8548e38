//go:build !race

package leaktest_test

const repeatRuns = 12
