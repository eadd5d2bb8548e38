// Package probe holds leaktest probes that look at another process or
// system: Process (a pid, in any language), Pprof (a Go service's
// net/http/pprof handlers) and Prometheus (the series of a PromQL query on
// a Prometheus server, read over its HTTP API: a fleet's, its history
// too). Give them to leaktest.Run or leaktest.Watch with
// leaktest.WithProbes.
//
// They are built only on leaktest's exported probe API (Probe and the
// optional Describer, Starter, Sampler, Profiler, Warner, Limiter, Holder,
// Fleet and Historian), so a
// probe written elsewhere has the same powers. The package is apart from
// leaktest so that a plain go test user links none of what these need
// (gopsutil and its platform packages).
package probe
