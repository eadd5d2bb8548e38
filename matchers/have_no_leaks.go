package matchers

import (
	"github.com/onsi/gomega/format"
	"github.com/onsi/gomega/types"

	"github.com/leakslope/leakslope/leaktest"
)

// HaveNoLeaks succeeds when no verdict is leak (and, with
// leaktest.VerifyNone, goleak found nothing left behind).
func HaveNoLeaks(opts ...leaktest.Option) types.GomegaMatcher {
	return &noLeaksMatcher{opts: opts}
}

type noLeaksMatcher struct {
	opts   []leaktest.Option
	report *leaktest.Report
}

func (m *noLeaksMatcher) Match(actual any) (bool, error) {
	rep, err := reportOf("HaveNoLeaks", actual, m.opts)
	if err != nil {
		return false, err
	}
	m.report = rep
	return !rep.Failed(), nil
}

func (m *noLeaksMatcher) FailureMessage(any) string {
	return format.Message(shown(m.report), "to have no leaks")
}

func (m *noLeaksMatcher) NegatedFailureMessage(any) string {
	return format.Message(shown(m.report), "to have a leak, but none was found")
}
