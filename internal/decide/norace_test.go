//go:build !race

package decide

const simDivisor = 1
