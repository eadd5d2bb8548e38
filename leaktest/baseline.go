package leaktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/leakslope/leakslope/internal/baseline"
	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/units"
)

// Baseline compares the run's slopes with those stored in the file at
// path, the golden-file way: with -leakslope.update (or
// LEAKSLOPE_UPDATE=1) the run writes its slopes there instead (sorted,
// one per symbol that moved, small enough to review in a diff); without
// it, the run also fails when a symbol's slope is credibly higher than
// the baseline's — its lower bound over the baseline's upper bound by more
// than BaselineTolerance, and over zero — or a symbol the baseline did not
// have now grows. Report.Regressions say "was X, now Y". A leak added a
// little at a time passes every budget that is not 0 (process.rss, a
// sampled remote heap, an accepted slow growth); it does not pass the
// last reviewed run. A missing, corrupt or foreign baseline file is an
// error naming it, with the report.
func Baseline(path string) Option {
	return option("Baseline", func(c *config) { c.baseline = path })
}

// UpdateBaseline makes the run write its Baseline file instead of
// comparing with it, as -leakslope.update and LEAKSLOPE_UPDATE=1 do (the
// CLI's --update).
func UpdateBaseline() Option {
	return option("UpdateBaseline", func(c *config) { c.update = true })
}

// BaselineTolerance is how much higher than the baseline's upper bound a
// slope's lower bound may be before it is a regression: 0.05 (5%) by
// default, as two runs of one workload differ credibly by a percent or two
// under exact accounting.
func BaselineTolerance(fraction float64) Option {
	return option("BaselineTolerance", func(c *config) {
		if fraction < 0 || math.IsNaN(fraction) || math.IsInf(fraction, 0) {
			c.errs = append(c.errs, fmt.Errorf("leaktest.BaselineTolerance(%v): want a fraction ≥ 0 such as 0.05", fraction))
			return
		}
		c.baselineTol = fraction
	})
}

// BaselineError is a Baseline file that could not be read or written:
// missing, corrupt, another format, another check's. The run's report
// comes with it.
type BaselineError struct {
	Path string
	Err  error
}

func (e *BaselineError) Error() string { return "baseline: " + e.Err.Error() }
func (e *BaselineError) Unwrap() error { return e.Err }

// Regression is a symbol whose slope is credibly higher than its
// baseline's.
type Regression struct {
	Symbol   Symbol
	Was, Now string // "24 B/op [24 B, 24 B]"; "absent" for a new symbol
}

// baselineFormat names the file's format, first in it.
const baselineFormat = "leakslope baseline v1"

type baselineFile struct {
	Format  string          `json:"format"`
	Version string          `json:"leakslope_version"`
	Name    string          `json:"name,omitempty"`
	X       string          `json:"x"`
	Ops     int64           `json:"ops"`
	Slopes  []baselineSlope `json:"slopes"`
}

type baselineSlope struct {
	Symbol Symbol   `json:"symbol"`
	Slope  *float64 `json:"slope"`
	Lo     *float64 `json:"lo"` // null: unbounded
	Hi     *float64 `json:"hi"`
	Unit   string   `json:"unit"`
}

// applyBaseline writes the baseline (update) or compares the report with
// it, adding its regressions.
func (r *run) applyBaseline(rep *Report, runErr error) error {
	path := r.c.baseline
	if path == "" {
		return nil
	}
	rep.Baseline = path
	if r.c.update && runErr != nil {
		// A failed run's slopes are not the ones to review and keep.
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline %s not written: the run failed", path))
		return nil
	}
	if r.c.update {
		if err := writeBaseline(path, rep); err != nil {
			return &BaselineError{path, err}
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("baseline %s written: review it in the diff", path))
		return nil
	}
	old, err := readBaseline(path)
	if err != nil {
		return &BaselineError{path, err}
	}
	if old.X != rep.Axis {
		return &BaselineError{path, fmt.Errorf("%s is per %s, this run's x is %s: not the same check", path, old.X, rep.Axis)}
	}
	var was []baseline.Slope
	for _, s := range old.Slopes {
		was = append(was, baseline.Slope{Symbol: string(s.Symbol), Slope: or(s.Slope, math.NaN()), Lo: or(s.Lo, math.Inf(-1)), Hi: or(s.Hi, math.Inf(1))})
	}
	now := rep.slopes()
	show := func(s *baseline.Slope) string {
		if s == nil {
			return "absent"
		}
		return rep.slopeText(Symbol(s.Symbol), s.Slope, s.Lo, s.Hi)
	}
	for _, c := range baseline.Compare(was, now, r.tolerance()) {
		if c.Regression {
			rep.Regressions = append(rep.Regressions, Regression{Symbol: Symbol(c.Symbol), Was: show(c.Old), Now: show(c.New)})
		}
	}
	return nil
}

func (r *run) tolerance() float64 {
	if r.c.baselineTol >= 0 {
		return r.c.baselineTol
	}
	return 0.05
}

func or(p *float64, v float64) float64 {
	if p == nil {
		return v
	}
	return *p
}

// slopes are the report's verdicts' slopes on its axis: per op, per
// second for a watch.
func (r *Report) slopes() []baseline.Slope {
	var out []baseline.Slope
	for _, v := range r.Verdicts {
		t := v.Trend
		s := baseline.Slope{Symbol: string(v.Symbol), Slope: t.PerOp, Lo: t.PerOpLo, Hi: t.PerOpHi}
		if r.Axis == AxisSeconds {
			s = baseline.Slope{Symbol: string(v.Symbol), Slope: t.PerSecond, Lo: t.PerSecondLo, Hi: t.PerSecondHi}
		}
		out = append(out, s)
	}
	return out
}

// slopeText shows a slope and its interval in the symbol's unit.
func (r *Report) slopeText(sym Symbol, slope, lo, hi float64) string {
	return fmt.Sprintf("%s/%s [%s, %s]", formatValue(sym, slope), r.per(), formatValue(sym, lo), formatValue(sym, hi))
}

// writeBaseline writes the report's slopes to path: sorted by symbol, only
// those that moved (a slope of exactly 0 is what a missing symbol means),
// no times, so that the same slopes write the same bytes. It replaces the
// file by a rename, so a link at path is replaced, not followed.
func writeBaseline(path string, rep *Report) error {
	f := baselineFile{Format: baselineFormat, Version: leakslopeVersion(), Name: rep.Name, X: rep.Axis, Ops: rep.Ops, Slopes: []baselineSlope{}}
	unit := rep.per()
	for _, s := range rep.slopes() {
		if s.Slope == 0 && s.Lo == 0 && s.Hi == 0 {
			continue
		}
		u := "/" + unit
		if Symbol(s.Symbol).Bytes() {
			u = "B/" + unit
		}
		f.Slopes = append(f.Slopes, baselineSlope{Symbol: Symbol(s.Symbol), Slope: finite(s.Slope), Lo: finite(s.Lo), Hi: finite(s.Hi), Unit: u})
	}
	slices.SortFunc(f.Slopes, func(a, b baselineSlope) int { return strings.Compare(string(a.Symbol), string(b.Symbol)) })
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".baseline-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// maxBaseline bounds a baseline file: one line per symbol that moved.
const maxBaseline = 64 << 20

// readBaseline reads a baseline file; an error names it (and the line of
// malformed JSON).
func readBaseline(path string) (*baselineFile, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file: write it with -leakslope.update (or LEAKSLOPE_UPDATE=1; the CLI's --update)", path)
	case err != nil:
		return nil, err
	case len(data) > maxBaseline:
		return nil, fmt.Errorf("%s: over %s: not a baseline", path, units.Bytes(maxBaseline))
	}
	var f baselineFile
	if err := dump.DecodeJSON(path, "leakslope baseline", data, &f, true); err != nil {
		return nil, err
	}
	if f.Format != baselineFormat {
		return nil, fmt.Errorf("%s: not a leakslope baseline (format %q, want %q)", path, f.Format, baselineFormat)
	}
	for i, s := range f.Slopes {
		if s.Symbol == "" {
			return nil, fmt.Errorf("%s: slope %d has no symbol", path, i+1)
		}
	}
	return &f, nil
}

// leakslopeVersion is the module's version in this binary: "(devel)" in
// its own tests.
func leakslopeVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	const mod = "github.com/leakslope/leakslope"
	if info.Main.Path == mod {
		return info.Main.Version
	}
	for _, d := range info.Deps {
		if d.Path == mod {
			return d.Version
		}
	}
	return "unknown"
}
