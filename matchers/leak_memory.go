package matchers

import (
	"strings"

	"github.com/onsi/gomega/format"
	"github.com/onsi/gomega/types"

	"github.com/leakslope/leakslope/leaktest"
)

// LeakMemory succeeds when some heap symbol (heap.bytes:…, heap.objects:…)
// has a leak verdict.
func LeakMemory(opts ...leaktest.Option) types.GomegaMatcher {
	return &kindMatcher{name: "LeakMemory", what: "leak memory", opts: opts, kind: func(k leaktest.Kind) bool { return strings.HasPrefix(string(k), "heap.") }}
}

// kindMatcher is LeakMemory and LeakGoroutines: a leak verdict of a kind.
type kindMatcher struct {
	name, what string
	opts       []leaktest.Option
	kind       func(leaktest.Kind) bool
	report     *leaktest.Report
}

func (m *kindMatcher) Match(actual any) (bool, error) {
	rep, err := reportOf(m.name, actual, m.opts)
	if err != nil {
		return false, err
	}
	m.report = rep
	for _, v := range rep.Leaks() {
		if m.kind(v.Kind()) {
			return true, nil
		}
	}
	return false, nil
}

// FailureMessage: a leak was expected and the run ruled it out.
func (m *kindMatcher) FailureMessage(any) string {
	return format.Message(shown(m.report), "to "+m.what+", but no such leak was found")
}

// NegatedFailureMessage: it leaked; the report's text says what, where.
func (m *kindMatcher) NegatedFailureMessage(any) string {
	return format.Message(shown(m.report), "not to "+m.what)
}
