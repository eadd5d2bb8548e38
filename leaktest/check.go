package leaktest

import (
	"context"
	"flag"
	"testing"
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
//
// Under `go test -artifacts` (Go 1.26) the report (report.html,
// report.json) and the profiles go to the test's t.ArtifactDir(), under
// -outputdir, where a CI job collects them; ArtifactsDir in code yields
// to it, LEAKSLOPE_ARTIFACTS and -leakslope.artifacts do not. Without the
// flag ArtifactDir is a temporary directory removed after the test, so
// the default stays. (Ginkgo's GinkgoT().ArtifactDir is always a
// temporary directory: a spec keeps the default.) The report's paths are
// also test attributes, leakslope.report (the HTML page) and
// leakslope.json, which `go test -json` carries.
func Check(t TB, target runner.Target, opts ...Option) *Report {
	t.Helper()
	pre := []Option{Name(t.Name())}
	if dir := goTestArtifacts(t); dir != "" {
		pre = append(pre, optionFunc(func(c *config) { c.testArtifacts = dir }))
	}
	if c, ok := t.(interface{ Context() context.Context }); ok {
		pre = append(pre, Context(c.Context()))
	}
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok {
			opts = append(opts, capDuration(time.Until(dl)*3/4))
		}
	}
	rep, err := Run(context.Background(), target, append(pre, opts...)...)
	if a, ok := t.(interface{ Attr(key, value string) }); ok && rep != nil {
		for key, name := range map[string]string{"leakslope.report": ArtifactHTML, "leakslope.json": ArtifactJSON} {
			if path := rep.Artifacts[name]; path != "" {
				a.Attr(key, path)
			}
		}
	}
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

// goTestArtifacts is the test's artifact directory when go test runs with
// -artifacts; "" otherwise (ArtifactDir would make a temporary directory,
// removed with the report in it when the test ends).
func goTestArtifacts(t TB) string {
	if f := flag.Lookup("test.artifacts"); f == nil || f.Value.String() != "true" {
		return ""
	}
	switch t := t.(type) {
	case *testing.T:
		return t.ArtifactDir()
	case *testing.B:
		return t.ArtifactDir()
	}
	return ""
}
