// Package matchers holds Gomega matchers over leak checks, and their
// Ginkgo integration.
//
// Each matcher takes as its actual either a runner.Target, which it runs
// with leaktest.Run and the given options, or a *leaktest.Report, which it
// inspects:
//
//	Expect(target).To(HaveNoLeaks())
//	Expect(target).NotTo(LeakMemory(leaktest.Workers(8)))
//	Expect(report).To(LeakGoroutines())
//	Expect(report).To(HaveSlopeAtMost("runtime.heap.bytes", "1KiB/op"))
//
// In a Ginkgo spec, pass the spec's context so a spec timeout or an
// interrupt stops the hammer within about a second, with the report so far
// shown:
//
//	It("does not leak", Serial, Label("leak"), func(ctx SpecContext) {
//		Expect(target).To(HaveNoLeaks(leaktest.Context(ctx)))
//	}, SpecTimeout(time.Minute))
//
// Inside a spec a run is named after the spec, writes its progress lines to
// GinkgoWriter, and attaches its report (JSON and artifact paths) with
// AddReportEntry, so `ginkgo --json-report` carries it; Summary lists every
// leak spec after the suite.
//
// Leak specs must not run beside other specs in one process: heap
// accounting is process-wide. Mark them Serial. Label quick checks
// Label("leak") and long ones Label("soak"), and pick with
// --label-filter: pre-merge runs `ginkgo --label-filter='!soak'`, the
// nightly job `LEAKSLOPE_MAX_DURATION=1h ginkgo --label-filter=soak`.
package matchers
