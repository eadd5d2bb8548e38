// Package stats holds the statistics behind leakslope's decision rule:
// the Theil–Sen slope, Kendall's S with its exact (Mahonian) or
// tie-corrected normal null distribution, Sen's rank-based confidence
// interval, Holm–Bonferroni, and the spending of α across the looks of an
// adaptive run.
//
// Everything here works on plain float64 slices so it can be simulated
// by the thousands in tests; the vocabulary types live in leaktest.
package stats
