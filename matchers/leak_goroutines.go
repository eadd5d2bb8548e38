package matchers

import (
	"github.com/onsi/gomega/types"

	"github.com/leakslope/leakslope/leaktest"
)

// LeakGoroutines succeeds when some goroutines:… symbol has a leak
// verdict.
func LeakGoroutines(opts ...leaktest.Option) types.GomegaMatcher {
	return &kindMatcher{name: "LeakGoroutines", what: "leak goroutines", opts: opts, kind: func(k leaktest.Kind) bool { return k == leaktest.KindGoroutines }}
}
