package leaktest

import (
	"context"
	"time"

	"github.com/leakslope/leakslope/runner"
)

// TB is what Check needs of a test: *testing.T, *testing.B and Ginkgo's
// GinkgoT() all satisfy it.
type TB interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// Check runs target (see Run) as part of test t, named after it. It fails
// t with the failure message when any verdict is leak, or when the run
// itself failed (with the report so far); otherwise it logs what was ruled
// out. It honours t's context and leaves room before the test's deadline
// (-timeout) for the report.
func Check(t TB, target runner.Target, opts ...Option) *Report {
	t.Helper()
	pre := []Option{Name(t.Name())}
	if c, ok := t.(interface{ Context() context.Context }); ok {
		pre = append(pre, Context(c.Context()))
	}
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			opts = append(opts, capDuration(time.Until(dl)*3/4))
		}
	}
	rep, err := Run(context.Background(), target, append(pre, opts...)...)
	switch {
	case rep == nil:
		t.Errorf("%v", err)
	case err != nil, rep.Failed():
		t.Errorf("\n%s", rep)
	default:
		t.Logf("\n%s", rep)
	}
	return rep
}

// capDuration lowers MaxDuration to d if d is smaller, after the
// environment has had its say: the test's deadline is a hard limit.
func capDuration(d time.Duration) Option {
	return optionFunc(func(c *config) { c.capTo = d })
}
