// Package render draws a run's report as a self-contained HTML page with
// inline SVG charts: no script, no network, no CDN, so the page opens
// offline from a CI artifact.
//
// Charts are hand-written SVG rather than gonum.org/v1/plot: a chart here
// is points, two lines, a band and two axes; that is less code than
// adapting plot's model to it, and it keeps the page small, styleable by
// CSS, and free of a dependency for users who never open it.
package render

// Page is everything the HTML report shows, in plain data.
type Page struct {
	Title     string
	Verdict   string // "leak", "no leak", "goroutines left behind", "run failed"
	Failed    bool
	Target    string
	Hammer    string // "4 workers × 100 jobs/round"
	Ops       int64
	Duration  string
	Stopped   string
	Snapshots string // what snapshotting took: "snapshots: 24 taken, 9.1s of 60s (15%) snapshotting"
	Error     string
	Warnings  []string
	Symbols   []Symbol // table rows, in the report's order
	Charts    []Chart  // charted symbols
	Artifacts []Artifact
	PprofDiff string // the ready go tool pprof -diff_base command
	Goleak    string
}

// Symbol is one table row.
type Symbol struct {
	Name     string
	Class    string // leak, within or undecided: the row's style
	Decision string // as shown: "within (growth stopped)"
	Slope    string // "64 B/op [63, 65]"
	PerSec   string
	Budget   string
	Values   string // "62.5 KiB → 688 KiB"
	Stack    []string
	HeldBy   []HeldPath // what holds a leaking heap site's objects
}

// HeldPath is one retention path, a tree of hops under its headline.
type HeldPath struct {
	Head string // "1,000 of 1,000 objects, 109 KiB; the path retains 145 KiB"
	Root *Hop
}

// Hop is one line of a retention path; Next is the hop it points to.
type Hop struct {
	Text string
	Next *Hop
}

// Artifact is a file the run wrote.
type Artifact struct{ Name, Path string }

// Chart is one symbol's series and fit.
type Chart struct {
	Symbol   string
	Decision string
	Bytes    bool      // values are bytes (axis in B/KiB/MiB)
	Ops      []float64 // x: ops (or what XName says)
	XName    string    // the x axis's name; "ops" when empty
	Seconds  []float64 // the same points in seconds (second scale); nil for none
	Values   []float64
	WarmUp   int     // the first WarmUp points are warm-up (greyed)
	Slope    float64 // per op, over the fitted points
	Lo, Hi   float64 // the slope's interval; NaN or ±Inf when unbounded
	Budget   float64 // per op; NaN when the budget is per time
}
