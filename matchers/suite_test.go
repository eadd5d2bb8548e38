package matchers_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/matchers"
)

// The matchers inside a real Ginkgo suite. Quick leak specs carry
// Label("leak"), the soak spec Label("soak"): this process runs
// --label-filter='!soak'; TestSpecTimeoutStopsTheHammer runs the soak spec
// in a child process, since a timed-out spec fails its suite.
func TestMatchersSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	suiteConfig, reporterConfig := GinkgoConfiguration()
	suiteConfig.LabelFilter = "!soak"
	if os.Getenv(helperEnv) != "" {
		suiteConfig.LabelFilter = "soak"
	}
	RunSpecs(t, "matchers", suiteConfig, reporterConfig)
}

var summary bytes.Buffer

var _ = Describe("leak specs", Serial, Label("leak"), func() {
	It("catches a leaky target", func(ctx SpecContext) {
		Expect(leakyTarget()).To(matchers.LeakMemory(leaktest.Context(ctx)))
		entries := CurrentSpecReport().ReportEntries
		Expect(entries).To(HaveLen(1))
		Expect(entries[0].Name).To(Equal(matchers.LeakEntryName))
		e := entries[0].Value.GetRawValue().(matchers.LeakEntry)
		Expect(e.Failed).To(BeTrue())
		Expect(e.Name).To(Equal("leak specs catches a leaky target"))
		Expect(e.Artifacts).To(HaveKey("json"))
		Expect(string(e.Report)).To(ContainSubstring(`"decision":"leak"`))
	})

	It("passes a clean target", func(ctx SpecContext) {
		Expect(cleanTarget()).To(matchers.HaveNoLeaks(leaktest.Context(ctx)))
		Expect(cleanTarget()).NotTo(matchers.LeakMemory(leaktest.Context(ctx)))
	})

	It("fails a leaky target with the core's failure message", func(ctx SpecContext) {
		failures := InterceptGomegaFailures(func() {
			Expect(leakyTarget()).To(matchers.HaveNoLeaks(leaktest.Context(ctx)))
		})
		Expect(failures).To(HaveLen(1))
		Expect(failures[0]).To(HavePrefix("Expected\n    <matchers.report>: leaktest: leak specs fails a leaky target with the core's failure message: 1 leaking symbol in "))
		Expect(failures[0]).To(ContainSubstring("go tool pprof -diff_base "))
		Expect(failures[0]).To(HaveSuffix("to have no leaks"))
	})

	It("errs on a wrong actual, naming its type", func() {
		failures := InterceptGomegaFailures(func() {
			Expect("not a target").To(matchers.HaveNoLeaks())
		})
		Expect(failures).To(HaveLen(1))
		Expect(failures[0]).To(ContainSubstring("HaveNoLeaks matcher expects a runner.Target or *leaktest.Report. Got:\n    <string>: not a target"))
	})
})

var _ = ReportAfterSuite("leakslope summary", func(r Report) {
	matchers.Summary(&summary)(r)
	if os.Getenv(helperEnv) != "" {
		return // the child runs the soak spec alone
	}
	out := summary.String()
	for _, want := range []string{"leakslope: 4 leak checks", "leak specs catches a leaky target: LEAK: heap.bytes:", "leak specs passes a clean target: no leak; report: "} {
		if !strings.Contains(out, want) {
			Fail("summary lacks " + want + ":\n" + out)
		}
	}
})
