package leaktest

import (
	"encoding/json"
	"math"
	"time"

	"github.com/leakslope/leakslope/runner"
)

// Report is a run's result: its snapshots, trends and verdicts, where its
// artifacts went, and, when the run itself failed or was cut short, why.
// A partial report is still a report: everything collected is kept.
type Report struct {
	Name   string
	Target string
	// Axis is what the x of every trend counted: AxisOps (a hammer),
	// AxisSeconds (Watch) or AxisDumps (Analyze).
	Axis     string
	Interval time.Duration // Watch's time between snapshots
	// History: how much of the past a Watch with Since read before it
	// watched live; Duration includes it.
	History time.Duration
	// Live: how many snapshots a Watch with Since took live after its
	// history; 0 when it decided on the history alone.
	Live     int
	Hammer   runner.Config // with defaults filled in
	Ops      int64
	Rounds   int
	Duration time.Duration
	Stopped  StopReason // why the run ended
	Err      error      // the run's own failure, if any (an op panic, a probe error, cancellation, a target that broke with no leak to show for it)
	// Broken: the target broke during the run (stalled, failing, a
	// resource at its limit); the verdicts were decided on the data up to
	// the break, and the report leads with it.
	Broken    *Break
	OpErrors  runner.Errors
	Alpha     float64
	MinOps    int64
	WarmUp    int64
	Verdicts  []Verdict  // leaks first, most growth first; then undecided; then within
	Snapshots []Snapshot // kept: old ones are thinned to bound memory
	// SnapshotsTaken counts every snapshot, kept or thinned.
	SnapshotsTaken int
	// SnapshotTime is the time spent snapshotting: the wall time of every
	// probe's Take, all snapshots taken live (a Watch's read of its
	// history with Since is not counted). Part of Duration.
	SnapshotTime time.Duration
	// SnapshotGap is, when the schedule was stretched for slow snapshots
	// (those whose probes take 100 ms or more), the least gap it kept
	// between one snapshot's end and the next's start: hammering in a
	// Run, waiting in a Watch. It is 3× SnapshotCost, or less when a Run
	// near its cap took them closer to get the snapshots a verdict needs
	// (a warning says so). The first snapshot after warm-up and a Run's
	// final one are not held back. 0 when no snapshot was put off for its
	// cost.
	SnapshotGap time.Duration
	// SnapshotCost is the cost of a snapshot (the most of the last few)
	// that asked for SnapshotGap; 0 when none did.
	SnapshotCost time.Duration
	Artifacts    map[string]string // ArtifactFirstProfile, ArtifactLastProfile, ArtifactJSON, ArtifactHTML → path
	Warnings     []string
	Probes       []string // names of the probes that ran
	// Goleak is goleak's report of goroutines alive after teardown that
	// were not alive before the run (with VerifyNone); empty when none.
	Goleak string
	// Baseline is the Baseline file the run was compared with (or wrote);
	// Regressions the symbols whose slope is credibly higher than there.
	Baseline    string
	Regressions []Regression

	series map[Symbol]Series
}

// per is the unit of the per-x slopes: "op", "s" or "dump".
func (r *Report) per() string {
	switch r.Axis {
	case AxisSeconds:
		return "s"
	case AxisDumps:
		return "dump"
	}
	return "op"
}

// Leaks returns the leak verdicts, most growth first.
func (r *Report) Leaks() []Verdict {
	var out []Verdict
	for _, v := range r.Verdicts {
		if v.Decision == Leak {
			out = append(out, v)
		}
	}
	return out
}

// Failed reports whether any verdict is leak, or goleak found goroutines
// left behind.
func (r *Report) Failed() bool {
	return len(r.Leaks()) > 0 || r.Goleak != "" || len(r.Regressions) > 0
}

// GomegaString lets Gomega's format print a report as its text, so a
// failed matcher shows the failure message rather than a struct dump.
func (r *Report) GomegaString() string { return r.String() }

// Series returns a reported symbol's series (for charts).
func (r *Report) Series(sym Symbol) (Series, bool) {
	s, ok := r.series[sym]
	return s, ok
}

// jsonFloat writes NaN and ±Inf (an unbounded interval) as null, which
// encoding/json cannot do for a float64.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

type jsonVerdict struct {
	Symbol       Symbol    `json:"symbol"`
	Kind         Kind      `json:"kind"`
	Decision     Decision  `json:"decision"`
	SlopePerOp   jsonFloat `json:"slope_per_op"`
	SlopePerOpLo jsonFloat `json:"slope_per_op_lo"`
	SlopePerOpHi jsonFloat `json:"slope_per_op_hi"`
	SlopePerS    jsonFloat `json:"slope_per_s"`
	SlopePerSLo  jsonFloat `json:"slope_per_s_lo"`
	SlopePerSHi  jsonFloat `json:"slope_per_s_hi"`
	Level        jsonFloat `json:"level"`
	P            jsonFloat `json:"p"`
	Points       int       `json:"points"`
	Budget       string    `json:"budget"`
	First        jsonFloat `json:"first"`
	Last         jsonFloat `json:"last"`
	Stopped      bool      `json:"growth_stopped,omitempty"`
	Tolerated    bool      `json:"tolerated,omitempty"`
	Exhausted    bool      `json:"exhausted,omitempty"`
	Restarts     int       `json:"restarts,omitempty"`
	Series       int       `json:"series,omitempty"`
	Limit        jsonFloat `json:"limit,omitempty"`
	LimitName    string    `json:"limit_name,omitempty"`
	TimeToLimitS jsonFloat `json:"time_to_limit_s,omitempty"`
	Func         string    `json:"func,omitempty"`
	Site         string    `json:"site"`
	Stack        []string  `json:"stack,omitempty"`
	// What holds a heap leak's (or a suspect's) objects (HeldBy's
	// fields, flattened).
	RetainedBy   []RetentionPath `json:"retained_by,omitempty"`
	HeldObjects  int64           `json:"held_objects,omitempty"`
	OtherPaths   int             `json:"retained_by_other_paths,omitempty"`
	OtherObjects int64           `json:"retained_by_other_objects,omitempty"`
	HeldByNotes  []string        `json:"held_by_notes,omitempty"`
	Blocked      *jsonBlocked    `json:"blocked_forever,omitempty"`
}

// jsonBlocked is a Verdict's Blocked; its stack is the verdict's.
type jsonBlocked struct {
	Goroutines int    `json:"goroutines"`
	Labeled    int    `json:"labeled"`
	Wait       string `json:"wait"`
}

type jsonSnapshot struct {
	Seconds jsonFloat            `json:"t_s"`
	Ops     int64                `json:"ops"`
	WarmUp  bool                 `json:"warm_up,omitempty"`
	Stalled bool                 `json:"stalled,omitempty"`
	Values  map[Symbol]jsonFloat `json:"values"`
}

type jsonBreak struct {
	Reason    StopReason `json:"reason"`
	Op        int64      `json:"op"`
	What      string     `json:"what"`
	Symbol    Symbol     `json:"symbol,omitempty"`
	Value     jsonFloat  `json:"value,omitempty"`
	Limit     jsonFloat  `json:"limit,omitempty"`
	LimitName string     `json:"limit_name,omitempty"`
}

type jsonOpError struct {
	Op    int    `json:"op"`
	Error string `json:"error"`
}

type jsonReport struct {
	Name        string            `json:"name"`
	Target      string            `json:"target,omitempty"`
	X           string            `json:"x"`
	Workers     int               `json:"workers"`
	Jobs        int               `json:"jobs"`
	WaitS       jsonFloat         `json:"wait_s"`
	Ops         int64             `json:"ops"`
	Rounds      int               `json:"rounds"`
	DurationS   jsonFloat         `json:"duration_s"`
	HistoryS    jsonFloat         `json:"history_s,omitempty"`
	Stopped     StopReason        `json:"stopped"`
	Broken      *jsonBreak        `json:"broken,omitempty"`
	Error       string            `json:"error,omitempty"`
	OpErrors    int64             `json:"op_errors"`
	FirstErrors []jsonOpError     `json:"first_op_errors,omitempty"`
	Alpha       float64           `json:"alpha"`
	MinOps      int64             `json:"min_ops"`
	WarmUpOps   int64             `json:"warm_up_ops"`
	Verdicts    []jsonVerdict     `json:"verdicts"`
	Artifacts   map[string]string `json:"artifacts"`
	Warnings    []string          `json:"warnings,omitempty"`
	Probes      []string          `json:"probes"`
	Goleak      string            `json:"goleak,omitempty"`
	Baseline    string            `json:"baseline,omitempty"`
	Regressions []jsonRegression  `json:"regressions,omitempty"`
	Snapshots   []jsonSnapshot    `json:"snapshots"`
	Taken       int               `json:"snapshots_taken"`
	SnapshotS   jsonFloat         `json:"snapshot_s"`
	GapS        jsonFloat         `json:"snapshot_gap_s,omitempty"`
	CostS       jsonFloat         `json:"snapshot_cost_s,omitempty"`
}

type jsonRegression struct {
	Symbol Symbol `json:"symbol"`
	Was    string `json:"was"`
	Now    string `json:"now"`
}

// MarshalJSON writes the report in the form DESIGN.md's contract fixes.
func (r *Report) MarshalJSON() ([]byte, error) {
	j := jsonReport{
		Name: r.Name, Target: r.Target, X: r.Axis,
		Workers: r.Hammer.Workers, Jobs: r.Hammer.Jobs, WaitS: jsonFloat(r.Hammer.Wait.Seconds()),
		Ops: r.Ops, Rounds: r.Rounds, DurationS: jsonFloat(r.Duration.Seconds()), HistoryS: jsonFloat(r.History.Seconds()),
		Stopped: r.Stopped, OpErrors: r.OpErrors.Count,
		Alpha: r.Alpha, MinOps: r.MinOps, WarmUpOps: r.WarmUp,
		Verdicts: make([]jsonVerdict, 0, len(r.Verdicts)), Artifacts: r.Artifacts, Warnings: r.Warnings, Probes: r.Probes, Goleak: r.Goleak, Baseline: r.Baseline,
		Snapshots: make([]jsonSnapshot, 0, len(r.Snapshots)), Taken: r.SnapshotsTaken,
		SnapshotS: jsonFloat(r.SnapshotTime.Seconds()), GapS: jsonFloat(r.SnapshotGap.Seconds()), CostS: jsonFloat(r.SnapshotCost.Seconds()),
	}
	if j.Artifacts == nil {
		j.Artifacts = map[string]string{}
	}
	if r.Err != nil {
		j.Error = r.Err.Error()
	}
	if b := r.Broken; b != nil {
		j.Broken = &jsonBreak{b.Reason, b.Op, b.What, b.Symbol, jsonFloat(b.Value), jsonFloat(b.Limit), b.LimitName}
	}
	for _, e := range r.OpErrors.First {
		j.FirstErrors = append(j.FirstErrors, jsonOpError{e.Op, e.Err.Error()})
	}
	for _, v := range r.Verdicts {
		t := v.Trend
		var held HeldBy
		if v.HeldBy != nil {
			held = *v.HeldBy
		}
		j.Verdicts = append(j.Verdicts, jsonVerdict{
			RetainedBy: held.Paths, HeldObjects: held.Objects, OtherPaths: held.OtherPaths, OtherObjects: held.OtherObjects, HeldByNotes: held.Notes,
			Symbol: v.Symbol, Kind: v.Kind(), Decision: v.Decision,
			SlopePerOp: jsonFloat(t.PerOp), SlopePerOpLo: jsonFloat(t.PerOpLo), SlopePerOpHi: jsonFloat(t.PerOpHi),
			SlopePerS: jsonFloat(t.PerSecond), SlopePerSLo: jsonFloat(t.PerSecondLo), SlopePerSHi: jsonFloat(t.PerSecondHi),
			Level: jsonFloat(t.Level), P: jsonFloat(t.P), Points: t.Points,
			Budget: v.Budget.String(), First: jsonFloat(v.First), Last: jsonFloat(v.Last), Stopped: v.Stopped,
			Tolerated: v.Tolerated, Exhausted: v.Exhausted, Func: v.Func, Site: v.Site, Stack: v.Stack,
			Restarts: v.Restarts, Series: v.Series, TimeToLimitS: jsonFloat(v.TimeToLimit.Seconds()),
		})
		if b := v.Blocked; b != nil {
			j.Verdicts[len(j.Verdicts)-1].Blocked = &jsonBlocked{b.Goroutines, b.Labeled, b.Wait}
		}
		if v.Limit != nil {
			j.Verdicts[len(j.Verdicts)-1].Limit, j.Verdicts[len(j.Verdicts)-1].LimitName = jsonFloat(v.Limit.Value), v.Limit.Name
		}
	}
	for _, s := range r.Snapshots {
		js := jsonSnapshot{Seconds: jsonFloat(s.Elapsed.Seconds()), Ops: s.Ops, WarmUp: s.WarmUp, Stalled: s.Stalled, Values: make(map[Symbol]jsonFloat, len(s.Values))}
		for k, v := range s.Values {
			js.Values[k] = jsonFloat(v)
		}
		j.Snapshots = append(j.Snapshots, js)
	}
	for _, g := range r.Regressions {
		j.Regressions = append(j.Regressions, jsonRegression{Symbol: g.Symbol, Was: g.Was, Now: g.Now})
	}
	return json.Marshal(j)
}

// undecidedSampled counts the undecided verdicts whose data is sampled:
// their growth under the resolution is never ruled out.
func (r *Report) undecidedSampled() int {
	n := 0
	for _, v := range r.Verdicts {
		if v.Decision == Undecided && v.Trend.Resolution > 0 {
			n++
		}
	}
	return n
}
