//go:build unix

package leaktest

import "syscall"

// fdLimit is the soft RLIMIT_NOFILE; 0 when unknown.
func fdLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	// int64 on some BSDs; RLIM_INFINITY there is negative: unknown.
	if int64(rl.Cur) < 0 {
		return 0
	}
	return uint64(rl.Cur)
}
