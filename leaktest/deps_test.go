package leaktest_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// A plain go test user never links Ginkgo, nor Gomega beyond the goroutine
// parser, nor what the outside probes need (gopsutil and its platform
// packages): leaktest and runner import none of them, nor package probe.
// The outside probes link no Ginkgo either.
func TestPlainUserNeverLinksGinkgoOrGopsutil(t *testing.T) {
	const mod = "github.com/leakslope/leakslope/"
	ginkgo := func(p string) bool {
		return strings.HasPrefix(p, "github.com/onsi/ginkgo") || (strings.HasPrefix(p, "github.com/onsi/gomega") && p != "github.com/onsi/gomega/gleak/goroutine")
	}
	outside := func(p string) bool {
		for _, pre := range []string{"github.com/shirou/gopsutil", "github.com/tklauser/", "github.com/ebitengine/purego", "github.com/yusufpapurcu/wmi", "github.com/lufia/plan9stats", "github.com/power-devops/perfstat", mod + "probe", mod + "matchers"} {
			if strings.HasPrefix(p, pre) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		pkgs   []string
		banned func(string) bool
		want   string // a package that must be there: the list is real
	}{
		{[]string{mod + "leaktest", mod + "runner"}, func(p string) bool { return ginkgo(p) || outside(p) }, mod + "internal/decide"},
		{[]string{mod + "probe"}, ginkgo, "github.com/shirou/gopsutil/v4/process"},
	} {
		out, err := exec.Command("go", append([]string{"list", "-deps"}, c.pkgs...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, c.want) {
			t.Fatalf("go list -deps %v has no %s: %s", c.pkgs, c.want, out)
		}
		for _, p := range deps {
			if c.banned(p) {
				t.Errorf("%v links %s", c.pkgs, p)
			}
		}
	}
}
