package stack

import "runtime"

// MemProfile reads the runtime's in-use memory profile into buf, grown
// (with room to spare, as the profile grows meanwhile) until it fits; it
// returns the records and the buffer to reuse next time.
func MemProfile(buf []runtime.MemProfileRecord) (records, next []runtime.MemProfileRecord) {
	for {
		n, ok := runtime.MemProfile(buf, false)
		if ok {
			return buf[:n], buf
		}
		buf = make([]runtime.MemProfileRecord, n+n/4+64)
	}
}
