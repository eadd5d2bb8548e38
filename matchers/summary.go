package matchers

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/onsi/ginkgo/v2"
)

// Summary returns a ReportAfterSuite body that lists every spec that ran a
// leak check: its verdict and where its report went.
//
//	var _ = ReportAfterSuite("leakslope", matchers.Summary(os.Stdout))
func Summary(w io.Writer) func(ginkgo.Report) {
	return func(r ginkgo.Report) {
		var lines []string
		for _, spec := range r.SpecReports {
			for _, entry := range spec.ReportEntries {
				if entry.Name != LeakEntryName {
					continue
				}
				e, ok := entry.Value.GetRawValue().(LeakEntry)
				if !ok {
					// From another parallel process: only the JSON crossed.
					if json.Unmarshal([]byte(entry.Value.AsJSON), &e) != nil {
						continue
					}
				}
				lines = append(lines, fmt.Sprintf("  %-8s %s", spec.State, e))
			}
		}
		if len(lines) == 0 {
			return
		}
		fmt.Fprintf(w, "leakslope: %d leak %s\n", len(lines), map[bool]string{true: "check", false: "checks"}[len(lines) == 1])
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
}
