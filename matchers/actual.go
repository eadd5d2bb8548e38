package matchers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega/format"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// LeakEntryName is the name of the report entry a run attaches to its spec.
const LeakEntryName = "leakslope"

// reportOf turns a matcher's actual into a report: a report is used as
// it is; a target is run. A run that failed (an op panicked, the spec's
// context ended) still gives its report so far, with the error.
func reportOf(matcher string, actual any, opts []leaktest.Option) (*leaktest.Report, error) {
	switch a := actual.(type) {
	case *leaktest.Report:
		if a == nil {
			return nil, fmt.Errorf("%s matcher expects a runner.Target or *leaktest.Report. Got nil *leaktest.Report", matcher)
		}
		return a, nil
	case runner.Target:
		rep, err := leaktest.Run(context.Background(), a, append(specOptions(), opts...)...)
		if rep != nil {
			attach(rep)
		}
		if err != nil {
			if rep != nil {
				return rep, fmt.Errorf("%s matcher: %v\n\n%s", matcher, err, rep)
			}
			return nil, fmt.Errorf("%s matcher: %v", matcher, err)
		}
		return rep, nil
	}
	return nil, fmt.Errorf("%s matcher expects a runner.Target or *leaktest.Report. Got:\n%s", matcher, format.Object(actual, 1))
}

// inSpec reports whether a Ginkgo spec is running (Ginkgo's reporting
// functions fail outside one; the matchers also serve plain go test).
func inSpec() bool {
	return ginkgo.CurrentSpecReport().LeafNodeLocation.FileName != ""
}

// specOptions name the run after the spec and send progress to
// GinkgoWriter; the user's options come after and win.
func specOptions() []leaktest.Option {
	if !inSpec() {
		return nil
	}
	return []leaktest.Option{leaktest.Name(ginkgo.CurrentSpecReport().FullText()), leaktest.Progress(ginkgo.GinkgoWriter)}
}

// LeakEntry is what a run attaches to its spec's report.
type LeakEntry struct {
	Name      string            `json:"name"`
	Failed    bool              `json:"failed"`
	Leaks     []string          `json:"leaks,omitempty"`
	Goleak    bool              `json:"goleak,omitempty"`
	Artifacts map[string]string `json:"artifacts"`
	Report    json.RawMessage   `json:"report"`
}

// String is how Ginkgo shows the entry in its reports: the verdict and
// where the report went (the JSON stays in --json-report).
func (e LeakEntry) String() string {
	verdict := "no leak"
	switch {
	case len(e.Leaks) > 0:
		verdict = fmt.Sprintf("LEAK: %s", e.Leaks[0])
		if len(e.Leaks) > 1 {
			verdict += fmt.Sprintf(" and %d more", len(e.Leaks)-1)
		}
	case e.Goleak:
		verdict = "LEAK: goroutines left behind"
	}
	return fmt.Sprintf("%s: %s; report: %s", e.Name, verdict, e.Artifacts[leaktest.ArtifactJSON])
}

func attach(rep *leaktest.Report) {
	if !inSpec() {
		return
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		raw = nil
	}
	e := LeakEntry{Name: rep.Name, Failed: rep.Failed(), Goleak: rep.Goleak != "", Artifacts: rep.Artifacts, Report: raw}
	for _, v := range rep.Leaks() {
		e.Leaks = append(e.Leaks, string(v.Symbol))
	}
	ginkgo.AddReportEntry(LeakEntryName, e, ginkgo.ReportEntryVisibilityFailureOrVerbose)
}

// report is the form a report takes in a matcher's message: its text, as
// a value (Gomega prints a pointer with its address, which no golden file
// can hold).
type report struct{ text string }

func (r report) GomegaString() string { return r.text }

func shown(rep *leaktest.Report) report { return report{rep.String()} }
