package leaktest_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A plain go test user never links Ginkgo, nor Gomega beyond the goroutine
// parser: leaktest and runner must not import them.
func TestPlainUserNeverLinksGinkgo(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/leakslope/leakslope/leaktest", "github.com/leakslope/leakslope/runner").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 {
		t.Fatalf("go list gave %d packages: %s", len(deps), out)
	}
	for _, p := range deps {
		if strings.HasPrefix(p, "github.com/onsi/ginkgo") || (strings.HasPrefix(p, "github.com/onsi/gomega") && p != "github.com/onsi/gomega/gleak/goroutine") {
			t.Errorf("leaktest links %s", p)
		}
	}
}
