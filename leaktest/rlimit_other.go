//go:build !unix

package leaktest

func fdLimit() uint64 { return 0 }
