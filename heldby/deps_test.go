package heldby_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A service that mounts the handler links the standard library and
// leakslope's internal packages only: no leaktest or runner, and none of
// what tests link (testing, goleak, Gomega, Ginkgo) or the outside probes
// (gopsutil).
func TestServiceLinksNoTestMachinery(t *testing.T) {
	const mod = "github.com/leakslope/leakslope/"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", mod+"heldby").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	std := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		p, s, _ := strings.Cut(l, " ")
		std[p] = s == "true"
	}
	if _, ok := std[mod+"internal/retain"]; !ok || !std["net/http"] {
		t.Fatalf("go list -deps heldby has no internal/retain or net/http: the list is not real:\n%s", out)
	}
	banned := []string{mod + "leaktest", mod + "runner", mod + "probe", mod + "matchers", "testing",
		"go.uber.org/goleak", "github.com/onsi/gomega", "github.com/onsi/ginkgo", "github.com/shirou/gopsutil"}
	for p, isStd := range std {
		for _, b := range banned {
			if p == b || strings.HasPrefix(p, b+"/") {
				t.Errorf("heldby links %s", p)
			}
		}
		if !isStd && !strings.HasPrefix(p, mod+"internal/") && p != mod+"heldby" {
			t.Errorf("heldby links %s, neither the standard library nor leakslope's internal packages", p)
		}
	}
}
