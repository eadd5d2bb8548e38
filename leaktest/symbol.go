package leaktest

import "strings"

// Symbol names what a value is about, with its unit implied by its kind:
// "heap.bytes:store.(*Store).Handle store.go:42", "goroutines:…",
// "runtime.heap.bytes", "gauge:queue.len".
type Symbol string

// Kind is the part before the colon ("heap.bytes", "goroutines"), or the
// whole symbol when it has none ("runtime.heap.bytes").
func (s Symbol) Kind() Kind {
	k, _, _ := strings.Cut(string(s), ":")
	return Kind(k)
}

// Site is the part after the colon, for symbols that have one.
func (s Symbol) Site() string {
	_, site, _ := strings.Cut(string(s), ":")
	return site
}

// Bytes reports whether the symbol's values are bytes (else counts). A
// Prometheus series is in bytes when its metric name ends in _bytes, as
// Prometheus's naming conventions have it.
func (s Symbol) Bytes() bool {
	if s.Kind() == KindProm {
		name, _, _ := strings.Cut(s.Site(), "{")
		return strings.HasSuffix(name, "_bytes")
	}
	return strings.HasSuffix(string(s.Kind()), ".bytes") || s == SymProcessRSS
}

// Kind is what a symbol is about, with its unit: the part of a symbol
// before the colon. A probe of its own may use kinds of its own
// ("redis.bytes"); a kind ending in ".bytes" is charted and printed in
// bytes.
type Kind string

// Symbol kinds of the built-in probes.
const (
	KindHeapBytes   Kind = "heap.bytes"   // in-use bytes by allocation site
	KindHeapObjects Kind = "heap.objects" // in-use objects by allocation site
	KindGoroutines  Kind = "goroutines"   // live goroutines by creation site
	KindGauge       Kind = "gauge"        // a user's gauge, by its name
	KindProm        Kind = "prom"         // a Prometheus series, as PromQL prints it (probe.Prometheus)
)

// Symbols without a site.
const (
	SymRuntimeHeapBytes = Symbol("runtime.heap.bytes") // the live heap's total
	SymRuntimeGoroutine = Symbol("runtime.goroutines") // all goroutines
	SymProcessRSS       = Symbol("process.rss")        // a process's resident set
	SymProcessFDs       = Symbol("process.fds")        // a process's open file descriptors
	SymProcessThreads   = Symbol("process.threads")    // a process's OS threads
)

// Sym is the symbol of a kind at a site: Sym(KindGauge, "queue.len") is
// "gauge:queue.len".
func Sym(k Kind, site string) Symbol { return Symbol(string(k) + ":" + site) }
