package leaktest

import "strings"

// Symbol names what a value is about, with its unit implied by its kind:
// "heap.bytes:store.(*Store).Handle store.go:42", "goroutines:…",
// "runtime.heap.bytes", "gauge:queue.len".
type Symbol string

// Kind is the part before the colon ("heap.bytes", "goroutines"), or the
// whole symbol when it has none ("runtime.heap.bytes").
func (s Symbol) Kind() string {
	k, _, _ := strings.Cut(string(s), ":")
	return k
}

// Site is the part after the colon, for symbols that have one.
func (s Symbol) Site() string {
	_, site, _ := strings.Cut(string(s), ":")
	return site
}

// Bytes reports whether the symbol's values are bytes (else counts).
func (s Symbol) Bytes() bool {
	k := s.Kind()
	return strings.HasSuffix(k, ".bytes") || k == "process.rss"
}

// Symbol kinds of the built-in probes.
const (
	KindHeapBytes       = "heap.bytes"
	KindHeapObjects     = "heap.objects"
	KindGoroutines      = "goroutines"
	KindGauge           = "gauge"
	SymRuntimeHeapBytes = Symbol("runtime.heap.bytes")
	SymRuntimeGoroutine = Symbol("runtime.goroutines")
)
