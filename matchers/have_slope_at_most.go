package matchers

import (
	"fmt"
	"math"

	"github.com/onsi/gomega/format"
	"github.com/onsi/gomega/types"

	"github.com/leakslope/leakslope/internal/stats"
	"github.com/leakslope/leakslope/leaktest"
)

// HaveSlopeAtMost succeeds when every symbol of the report matching
// pattern has a slope whose upper bound is at or under amount, written as
// a budget's right-hand side: HaveSlopeAtMost("process.rss", "1MiB/min"),
// HaveSlopeAtMost("heap.bytes:*", "16B/op"). It reads a report (or runs a
// target) and bounds each series at the report's level α, one-sided.
func HaveSlopeAtMost(pattern, amount string, opts ...leaktest.Option) types.GomegaMatcher {
	return &slopeMatcher{pattern: pattern, amount: amount, opts: opts}
}

type slopeMatcher struct {
	pattern, amount string
	opts            []leaktest.Option
	report          *leaktest.Report
	worst           string
}

func (m *slopeMatcher) Match(actual any) (bool, error) {
	b, err := leaktest.ParseBudget(m.pattern + " <= " + m.amount)
	if err != nil {
		return false, fmt.Errorf("HaveSlopeAtMost: %v", err)
	}
	rep, err := reportOf("HaveSlopeAtMost", actual, m.opts)
	if err != nil {
		return false, err
	}
	m.report = rep
	matched := 0
	ok := true
	for _, sym := range symbols(rep) {
		if !b.Matches(sym) {
			continue
		}
		matched++
		s, kept := rep.Series(sym)
		if !kept {
			// Not kept: constant after warm-up, a slope of exactly 0.
			if b.Max < 0 {
				ok = false
				m.worst += fmt.Sprintf("\n    %s: flat, slope 0", sym)
			}
			continue
		}
		x := s.Ops[s.WarmUp:]
		limit := b.Max
		if b.PerTime > 0 {
			x = s.Seconds[s.WarmUp:]
			limit, _ = b.PerSecond() // per time: never an error
		}
		f := stats.TheilSen(x, s.Values[s.WarmUp:], rep.Alpha)
		if f.Hi > limit || math.IsNaN(f.Hi) {
			ok = false
			hi := f.Hi
			if b.PerTime > 0 {
				hi *= b.PerTime.Seconds()
			}
			m.worst += fmt.Sprintf("\n    %s: slope %.4g, upper bound %.4g per %s over %d points", sym, f.Slope, hi, unit(b), len(x))
		}
	}
	if matched == 0 {
		return false, fmt.Errorf("HaveSlopeAtMost: no symbol of the report matches %q", m.pattern)
	}
	return ok, nil
}

func unit(b leaktest.Budget) string {
	if b.PerTime > 0 {
		return b.PerTime.String()
	}
	return "op"
}

// symbols lists the report's symbols: those with verdicts, and the
// runtime totals when kept.
func symbols(rep *leaktest.Report) []leaktest.Symbol {
	var out []leaktest.Symbol
	seen := map[leaktest.Symbol]bool{}
	for _, v := range rep.Verdicts {
		if !seen[v.Symbol] {
			out, seen[v.Symbol] = append(out, v.Symbol), true
		}
	}
	for _, sym := range []leaktest.Symbol{leaktest.SymRuntimeHeapBytes, leaktest.SymRuntimeGoroutine} {
		if _, ok := rep.Series(sym); ok && !seen[sym] {
			out = append(out, sym)
		}
	}
	return out
}

func (m *slopeMatcher) FailureMessage(any) string {
	return format.Message(shown(m.report), fmt.Sprintf("to have slopes of %s at most %s; not ruled out:%s", m.pattern, m.amount, m.worst))
}

func (m *slopeMatcher) NegatedFailureMessage(any) string {
	return format.Message(shown(m.report), fmt.Sprintf("to have a slope of %s over %s", m.pattern, m.amount))
}
