package matchers_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/matchers"
	"github.com/leakslope/leakslope/runner"
)

const helperEnv = "LEAKSLOPE_TIMEOUT_SUITE"

// A spec timeout stops the hammer, and the report so far is kept, shown
// and attached. The suite runs in a child process (this test binary
// again), since a timed-out spec fails its suite.
func TestSpecTimeoutStopsTheHammer(t *testing.T) {
	dir := t.TempDir()
	jsonReport := filepath.Join(dir, "ginkgo.json")
	stopped := filepath.Join(dir, "stopped-after")
	cmd := exec.Command(os.Args[0], "-test.run=^TestMatchersSuite$", "-ginkgo.json-report="+jsonReport, "-ginkgo.no-color")
	cmd.Env = append(os.Environ(), helperEnv+"="+stopped, leaktest.EnvArtifacts+"="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the timed-out suite passed:\n%s", out)
	}
	raw, err := os.ReadFile(stopped)
	if err != nil {
		t.Fatalf("the spec body never came back from the matcher: %v\n%s", err, out)
	}
	// Well under a second here (the last snapshot and the report), several
	// times that on a loaded machine under -race; a run that ignored the
	// spec's context would go on to its 30s cap.
	after, _ := time.ParseDuration(string(raw))
	if after > 10*time.Second {
		t.Errorf("the matcher returned %v after the spec's context ended; want it to stop with the spec", after)
	}
	for _, want := range []string{"A spec timeout occurred", "the run stopped early (canceled)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var reports []types.Report
	data, err := os.ReadFile(jsonReport)
	if err != nil || json.Unmarshal(data, &reports) != nil || len(reports) != 1 {
		t.Fatalf("ginkgo json report: %v\n%.500s", err, data)
	}
	var found bool
	for _, spec := range reports[0].SpecReports {
		for _, e := range spec.ReportEntries {
			if e.Name == matchers.LeakEntryName && strings.Contains(e.Value.AsJSON, `"stopped":"canceled"`) {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no leakslope report entry with the partial run in the json report:\n%.2000s", data)
	}
}

var _ = ginkgo.Describe("a soak that outlives its spec timeout", ginkgo.Serial, ginkgo.Label("soak"), func() {
	ginkgo.It("stops the hammer and keeps the report", func(ctx ginkgo.SpecContext) {
		out := os.Getenv(helperEnv)
		var doneAt atomic.Int64
		context.AfterFunc(ctx, func() { doneAt.Store(time.Now().UnixNano()) })
		slow := runner.Func(func(ctx context.Context, i int) error {
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond):
			}
			return nil
		})
		// The failed Expect below aborts the body; the defer still sees
		// when the matcher came back.
		defer func() {
			if d := doneAt.Load(); d != 0 && out != "" {
				os.WriteFile(out, []byte(time.Since(time.Unix(0, d)).String()), 0o644)
			}
		}()
		gomega.Expect(slow).To(matchers.HaveNoLeaks(leaktest.Context(ctx), leaktest.MinOps(1<<40), leaktest.SnapshotEvery(200)))
	}, ginkgo.SpecTimeout(1500*time.Millisecond))
})
