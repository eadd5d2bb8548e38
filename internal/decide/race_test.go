//go:build race

package decide

// The race detector makes the simulations ~15× slower; under it (CI runs
// the suite with -race) each simulation runs a third of its runs — still
// a thousand or more for the false-leak rates. Run without -race for all.
const simDivisor = 3
