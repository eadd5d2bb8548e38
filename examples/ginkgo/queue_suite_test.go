package queue_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	queue "github.com/leakslope/leakslope/examples/ginkgo"
	"github.com/leakslope/leakslope/leaktest"
	. "github.com/leakslope/leakslope/matchers"
	"github.com/leakslope/leakslope/runner"
)

func TestQueue(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "queue")
}

// Lists every leak spec's verdict and report path after the suite.
var _ = ReportAfterSuite("leakslope", Summary(os.Stdout))

// Leak specs are Serial (heap accounting is process-wide) and labelled:
// pre-merge runs `ginkgo --label-filter='!soak'`, the nightly job
// `LEAKSLOPE_MAX_DURATION=1h ginkgo --label-filter=soak`.
var _ = Describe("Queue", Serial, Label("leak"), func() {
	submit := func(q *queue.Queue) runner.Target {
		return runner.Func(func(ctx context.Context, i int) error {
			q.Submit(ctx, func() {})
			return nil
		})
	}

	It("does not leak", func(ctx SpecContext) {
		q := queue.New(false)
		DeferCleanup(q.Stop)
		Expect(submit(q)).To(HaveNoLeaks(
			leaktest.Context(ctx),     // a spec timeout or Ctrl-C stops the hammer
			leaktest.VerifyNone(),     // and nothing may be left behind
			leaktest.Teardown(q.Stop), // once the queue is stopped
		))
	}, SpecTimeout(time.Minute))

	// The leaky queue, caught. With LEAKSLOPE_DEMO=1 this spec asserts no
	// leak instead, to show the failure as your suite would.
	It("catches the leaky queue", func(ctx SpecContext) {
		q := queue.New(true)
		DeferCleanup(q.Stop)
		if os.Getenv("LEAKSLOPE_DEMO") != "" {
			Expect(submit(q)).To(HaveNoLeaks(leaktest.Context(ctx)))
			return
		}
		Expect(submit(q)).To(LeakGoroutines(leaktest.Context(ctx)))
	}, SpecTimeout(time.Minute))
})
