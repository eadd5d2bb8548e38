package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/leakslope/leakslope/internal/baseline"
	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/leaktest"
)

const compareUsage = `usage: leakslope compare [flags] OLD.json NEW.json

Compares the slopes of two reports of the same checks (report.json of
hammer, watch, analyze or a go test's Check): old, new, the change, and
whether it is credible — the new slope's lower bound over the old one's
upper bound (by --tolerance, 5%), and over zero. A symbol the old report did
not have regresses when it now grows at all. Exits 1 on a regression,
saying "was X, now Y": a leak added a little at a time passes every budget
but not the last main branch's report (keep it as a CI artifact).

example:
  leakslope compare main/report.json report.json
`

func compareCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("compare", compareUsage)
	tol := fs.String("tolerance", "5%", "how much higher a slope's lower bound may be than the old upper bound before it is a regression (`PERCENT`); exact accounting bounds slopes so tightly that two runs of one workload differ credibly by a percent or two")
	pos, tail, help, err := parse(fs, args, stdout)
	if err != nil || help {
		return err
	}
	files := append(pos, tail...)
	if len(files) != 2 {
		return usageErr("compare: want OLD.json NEW.json, got %d files (see leakslope compare --help)", len(files))
	}
	t, err := strconv.ParseFloat(strings.TrimSuffix(*tol, "%"), 64)
	if err != nil || t < 0 || math.IsInf(t, 0) {
		return usageErr("compare: --tolerance %q: want a percentage ≥ 0 such as 10%%", *tol)
	}
	old, err := readSlopes(files[0])
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("compare: %w", err)}
	}
	cur, err := readSlopes(files[1])
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("compare: %w", err)}
	}
	if old.x != cur.x {
		return usageErr("compare: %s is over %s, %s over %s: not the same check", files[0], old.x, files[1], cur.x)
	}
	changes := baseline.Compare(old.slopes, cur.slopes, t/100)
	per := "/op"
	switch old.x {
	case leaktest.AxisSeconds:
		per = "/s"
	case leaktest.AxisDumps:
		per = "/dump"
	}
	show := func(s *baseline.Slope) string {
		if s == nil {
			return "—"
		}
		return fmt.Sprintf("%s%s [%s, %s]", amount(s.Symbol, s.Slope), per, amount(s.Symbol, s.Lo), amount(s.Symbol, s.Hi))
	}
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "symbol\told\tnew\tdelta\t\n")
	var regressions []string
	flat := 0
	for _, c := range changes {
		if !c.Regression && still(c.Old) && still(c.New) {
			flat++ // a table of 2,000 sites is mostly these
			continue
		}
		verdict := "~"
		if c.Regression {
			verdict = "regression"
			regressions = append(regressions, fmt.Sprintf("%s: was %s, now %s", c.Symbol, show(c.Old), show(c.New)))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Symbol, show(c.Old), show(c.New), delta(c), verdict)
	}
	w.Flush()
	if flat > 0 {
		fmt.Fprintf(stdout, "(and %d %s with no slope in either report)\n", flat, plural(flat, "symbol", "symbols"))
	}
	if len(regressions) > 0 {
		fmt.Fprintf(stdout, "\n%d %s credibly higher than in %s:\n", len(regressions), plural(len(regressions), "slope", "slopes"), files[0])
		for _, r := range regressions {
			fmt.Fprintf(stdout, "    %s\n", r)
		}
		return &exitError{code: exitLeak}
	}
	fmt.Fprintf(stdout, "\nno slope credibly higher than in %s (tolerance %s)\n", files[0], *tol)
	return nil
}

// still says a slope is absent or exactly 0.
func still(s *baseline.Slope) bool { return s == nil || s.Slope == 0 && s.Lo == 0 && s.Hi == 0 }

// delta is the change of the slope's estimate, in percent of the old.
func delta(c baseline.Change) string {
	switch {
	case c.Old == nil:
		return "new"
	case c.New == nil:
		return "gone"
	case math.IsNaN(c.Old.Slope) || math.IsNaN(c.New.Slope):
		return "?" // a run too short to estimate it
	case c.Old.Slope == c.New.Slope:
		return "0%"
	case c.Old.Slope == 0:
		return "from 0"
	}
	return fmt.Sprintf("%+.0f%%", 100*(c.New.Slope-c.Old.Slope)/math.Abs(c.Old.Slope))
}

func amount(sym string, v float64) string {
	if leaktest.Symbol(sym).Bytes() {
		return units.Bytes(v) // ∞ B, ? B as the report shows them
	}
	return units.Count(v)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

type reportSlopes struct {
	x      string
	slopes []baseline.Slope
}

// readSlopes reads the verdicts' slopes of a report.json: per op, or per
// second for a watch.
func readSlopes(path string) (*reportSlopes, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	defer f.Close()
	data, err := dump.ReadAll(path, f, dump.MaxInput)
	if err != nil {
		return nil, err
	}
	var rep struct {
		X        *string `json:"x"`
		Verdicts []struct {
			Symbol  string   `json:"symbol"`
			PerOp   *float64 `json:"slope_per_op"`
			PerOpLo *float64 `json:"slope_per_op_lo"`
			PerOpHi *float64 `json:"slope_per_op_hi"`
			PerS    *float64 `json:"slope_per_s"`
			PerSLo  *float64 `json:"slope_per_s_lo"`
			PerSHi  *float64 `json:"slope_per_s_hi"`
		} `json:"verdicts"`
	}
	if err := dump.DecodeJSON(path, "leakslope report", data, &rep, false); err != nil {
		return nil, err
	}
	if rep.X == nil || rep.Verdicts == nil {
		return nil, fmt.Errorf("%s: not a leakslope report (no \"x\" and \"verdicts\": a report.json of hammer, watch, analyze or Check)", path)
	}
	out := &reportSlopes{x: *rep.X}
	or := func(p *float64, v float64) float64 {
		if p == nil {
			return v // null: unbounded, or no estimate
		}
		return *p
	}
	for _, v := range rep.Verdicts {
		if v.Symbol == "" {
			return nil, fmt.Errorf("%s: a verdict without a symbol", path)
		}
		s := baseline.Slope{Symbol: v.Symbol, Slope: or(v.PerOp, math.NaN()), Lo: or(v.PerOpLo, math.Inf(-1)), Hi: or(v.PerOpHi, math.Inf(1))}
		if out.x == leaktest.AxisSeconds {
			s = baseline.Slope{Symbol: v.Symbol, Slope: or(v.PerS, math.NaN()), Lo: or(v.PerSLo, math.Inf(-1)), Hi: or(v.PerSHi, math.Inf(1))}
		}
		out.slopes = append(out.slopes, s)
	}
	return out, nil
}
