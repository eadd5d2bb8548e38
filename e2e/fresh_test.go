package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/browser"
)

const freshTest = `package fresh

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

type Order struct {
	ID    string
	Lines []string
}

type Audit struct {
	mu  sync.Mutex
	log []*Order
}

func (a *Audit) Record(o *Order) {
	a.mu.Lock()
	a.log = append(a.log, o)
	a.mu.Unlock()
}

func TestOrdersLeak(t *testing.T) {
	audit := &Audit{}
	leaktest.Check(t, runner.Func(func(ctx context.Context, i int) error {
		o := &Order{ID: strconv.Itoa(i), Lines: make([]string, 3)} // SITE orders
		audit.Record(o)
		return nil
	}))
}

func TestWorkersLeak(t *testing.T) {
	jobs := make(chan int)
	leaktest.Check(t, runner.Func(func(ctx context.Context, i int) error {
		go func() { // SITE workers
			for range jobs {
			}
		}()
		return nil
	}))
}

func TestPricingIsClean(t *testing.T) {
	var mu sync.Mutex
	prices := map[string]float64{}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		key := "sku-" + strconv.Itoa(i%500)
		mu.Lock()
		prices[key] = float64(i)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep)
	os.WriteFile(os.Getenv("FRESH_JSON"), b, 0o644)
	if len(rep.Leaks()) > 0 {
		t.Errorf("%s", rep)
	}
}
`

const freshSuite = `package fresh

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/leakslope/leakslope/leaktest"
	. "github.com/leakslope/leakslope/matchers"
	"github.com/leakslope/leakslope/runner"
)

func TestSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "fresh")
}

type Bus struct {
	mu   sync.Mutex
	subs []func(string)
}

func (b *Bus) Subscribe(f func(string)) {
	b.mu.Lock()
	b.subs = append(b.subs, f)
	b.mu.Unlock()
}

type Bucket struct {
	mu     sync.Mutex
	tokens int
}

func (b *Bucket) Take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens == 0 {
		b.tokens = 100
	}
	b.tokens--
	return true
}

var _ = Describe("never-seen workloads", Serial, Label("leak"), func() {
	It("finds the bus that never unsubscribes", func(ctx SpecContext) {
		bus := &Bus{}
		Expect(runner.Func(func(ctx context.Context, i int) error {
			n := i
			bus.Subscribe(func(string) { _ = n })
			return nil
		})).To(LeakMemory(leaktest.Context(ctx)))
	}, SpecTimeout(time.Minute))

	It("passes the token bucket", func(ctx SpecContext) {
		b := &Bucket{}
		Expect(runner.Func(func(ctx context.Context, i int) error {
			b.Take()
			return nil
		})).To(HaveNoLeaks(leaktest.Context(ctx)))
	}, SpecTimeout(time.Minute))

	It("finds the fan-out that never closes", func(ctx SpecContext) {
		Expect(runner.Func(func(ctx context.Context, i int) error {
			out := make(chan int)
			go func() {
				for range out {
				}
			}()
			out <- i
			return nil
		})).To(LeakGoroutines(leaktest.Context(ctx)))
	}, SpecTimeout(time.Minute))
})
`

func TestFreshModuleGetsTheRightVerdicts(t *testing.T) {
	_, self, _, _ := runtime.Caller(0)
	repo := filepath.Dir(filepath.Dir(self))
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/fresh\n\ngo 1.24\n\nrequire github.com/leakslope/leakslope v0.0.0\n\nreplace github.com/leakslope/leakslope => "+repo+"\n")
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write("go.sum", string(sum))
	write("fresh_test.go", freshTest)
	write("suite_test.go", freshSuite)
	jsonPath := filepath.Join(dir, "clean.json")
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "FRESH_JSON="+jsonPath, "LEAKSLOPE_ARTIFACTS="+filepath.Join(dir, "artifacts"))

	// -e: tidy also wants the tests of dependencies (goleak's use testify),
	// which are not in the module cache offline and not needed here.
	tidy := exec.Command("go", "mod", "tidy", "-e")
	tidy.Dir, tidy.Env = dir, env
	if out, err := tidy.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", ".")
	cmd.Dir, cmd.Env = dir, env
	out, _ := cmd.CombinedOutput()

	results := map[string]string{}
	outputs := map[string]*strings.Builder{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		var ev struct{ Action, Test, Output string }
		if json.Unmarshal(line, &ev) != nil || ev.Test == "" {
			continue
		}
		if outputs[ev.Test] == nil {
			outputs[ev.Test] = &strings.Builder{}
		}
		outputs[ev.Test].WriteString(ev.Output)
		if ev.Action == "pass" || ev.Action == "fail" {
			results[ev.Test] = ev.Action
		}
	}
	siteLine := func(marker string) string {
		for n, l := range strings.Split(freshTest, "\n") {
			if strings.Contains(l, "// SITE "+marker) {
				return "fresh_test.go:" + strconv.Itoa(n+1)
			}
		}
		t.Fatalf("no SITE %s", marker)
		return ""
	}
	for name, want := range map[string]string{
		"TestOrdersLeak":  "heap.bytes:fresh.TestOrdersLeak (closure) " + siteLine("orders"),
		"TestWorkersLeak": "goroutines:fresh.TestWorkersLeak (closure) " + siteLine("workers"),
	} {
		if results[name] != "fail" {
			t.Errorf("%s: %q, want fail\n%s", name, results[name], outputs[name])
			continue
		}
		msg := outputs[name].String()
		if !strings.Contains(msg, want) || !strings.Contains(msg, "report:   "+filepath.Join(dir, "artifacts", name, "report.json")) {
			t.Errorf("%s: message lacks %q or the report path:\n%s", name, want, msg)
		}
	}
	// The Ginkgo suite asserts the right verdict for each workload with
	// the matchers: it passes only if all three are right.
	if results["TestSuite"] != "pass" {
		t.Errorf("Ginkgo suite: %q, want pass\n%s", results["TestSuite"], outputs["TestSuite"])
	}
	if results["TestPricingIsClean"] != "pass" {
		t.Errorf("TestPricingIsClean: %q, want pass\n%s", results["TestPricingIsClean"], outputs["TestPricingIsClean"])
	}
	var rep struct {
		Ops       *int64           `json:"ops"`
		DurationS *float64         `json:"duration_s"`
		Verdicts  []map[string]any `json:"verdicts"`
		Artifacts map[string]any   `json:"artifacts"`
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil || json.Unmarshal(raw, &rep) != nil || rep.Ops == nil || rep.DurationS == nil || len(rep.Verdicts) == 0 || rep.Artifacts == nil {
		t.Fatalf("contract JSON: %v %.200s", err, raw)
	}
	for _, v := range rep.Verdicts {
		if v["decision"] != "within" {
			t.Errorf("clean verdict %v", v)
		}
	}
	if t.Failed() {
		t.Logf("go test output:\n%s", out)
	}
	t.Logf("TestWorkersLeak said:\n%s", outputs["TestWorkersLeak"])

	// The leaky run's page, opened offline in a real browser: the leak's
	// row, its chart, and the user's file:line.
	dom := browser.DOM(t, filepath.Join(dir, "artifacts", "TestOrdersLeak", "report.html"))
	for _, want := range []string{`<tr class="leak">`, `<svg class="chart"`, `<polygon class="band"`, `<line class="fit"`, siteLine("orders")} {
		if !strings.Contains(dom, want) {
			t.Errorf("report.html in the browser lacks %q", want)
		}
	}
}
