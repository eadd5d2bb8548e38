package leaktest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// childArtifacts marks this test binary, run again by
// TestGoTestArtifacts, as the go test whose artifacts are looked at.
const childArtifacts = "LEAKSLOPE_TEST_GOTEST_ARTIFACTS"

// TestGoTestArtifactsChild is TestGoTestArtifacts' child: a Check of a
// leak, in a test binary run with or without -test.artifacts.
func TestGoTestArtifactsChild(t *testing.T) {
	if os.Getenv(childArtifacts) == "" {
		t.Skip("the child of TestGoTestArtifacts, which runs it in a test binary of its own")
	}
	var kept [][]byte
	leaktest.Check(t, runner.Func(func(context.Context, int) error {
		kept = append(kept, make([]byte, 64))
		return nil
	}), leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.WithoutHeldBy(),
		leaktest.WarmUp(100), leaktest.MinOps(1000), leaktest.MaxDuration(20*time.Second),
		// In code: -artifacts wins over it.
		leaktest.ArtifactsDir(filepath.Join(os.Getenv(childArtifacts), "in-code")))
}

// go test -artifacts -outputdir DIR: a Check writes its report under
// DIR/_artifacts, where CI collects it, and names it in a test attribute
// (=== ATTR, which go test -json carries); without the flag, where it
// always did (here, the ArtifactsDir in code), with the attribute too.
func TestGoTestArtifacts(t *testing.T) {
	for _, flagged := range []bool{true, false} {
		out := t.TempDir()
		args := []string{"-test.run", "^TestGoTestArtifactsChild$", "-test.v=test2json"}
		if flagged {
			args = append(args, "-test.artifacts", "-test.outputdir", out)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(withoutEnv(leaktest.EnvArtifacts), childArtifacts+"="+out)
		got, _ := cmd.CombinedOutput() // the child fails: it found the leak
		m := regexp.MustCompile(`=== ATTR  TestGoTestArtifactsChild leakslope\.report (\S+)`).FindSubmatch(got)
		if m == nil || !strings.Contains(string(got), "--- FAIL: TestGoTestArtifactsChild") {
			t.Fatalf("-artifacts %v: no leak, or no leakslope.report attribute:\n%s", flagged, got)
		}
		page := string(m[1])
		want := filepath.Join(out, "_artifacts") + string(filepath.Separator)
		if !flagged {
			want = filepath.Join(out, "in-code") + string(filepath.Separator)
		}
		if !strings.HasPrefix(page, want) || filepath.Base(page) != "report.html" {
			t.Errorf("-artifacts %v: report at %s, want it under %s", flagged, page, want)
		}
		for _, name := range []string{"report.html", "report.json"} {
			if _, err := os.Stat(filepath.Join(filepath.Dir(page), name)); err != nil {
				t.Errorf("-artifacts %v: %v", flagged, err)
			}
		}
		if !strings.Contains(string(got), "leakslope.json "+filepath.Join(filepath.Dir(page), "report.json")) {
			t.Errorf("-artifacts %v: no leakslope.json attribute:\n%s", flagged, got)
		}
	}
}

func withoutEnv(name string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
