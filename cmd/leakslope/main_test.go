package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/browser"
)

// The test binary doubles as the leakslope binary, for signals.
func TestMain(m *testing.M) {
	if os.Getenv("LEAKSLOPE_CLI_MAIN") == "1" {
		main()
		return
	}
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// cli runs the command in process and returns its output and exit code.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = exitCode(&e, run(&o, &e, args))
	return o.String(), e.String(), code
}

var (
	buildOnce sync.Once
	buildDir  string
	goSvc     string
	buildErr  error
)

// goService starts testdata/gosvc (built once) with args and returns its
// URL and process; it is killed when the test ends.
func goService(t testing.TB, args ...string) (string, *exec.Cmd) {
	t.Helper()
	return start(t, buildGoSvc(t), args...)
}

func buildGoSvc(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "leakslope-cli")
		if buildErr != nil {
			return
		}
		goSvc = filepath.Join(buildDir, "gosvc")
		out, err := exec.Command("go", "build", "-o", goSvc, "./testdata/gosvc").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build gosvc: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return goSvc
}

// pyService starts testdata/pysvc.py with python3 (which .ci/run
// installs).
func pyService(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	return start(t, "python3", "testdata/pysvc.py")
}

func start(t testing.TB, name string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		io.Copy(io.Discard, out)
	}()
	select {
	case url := <-line:
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			t.Fatalf("%s printed %q, want its URL", name, url)
		}
		return url, cmd
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not print its URL", name)
	}
	return "", nil
}

// jsonVerdict is what the tests read of a verdict.
type jsonVerdict struct {
	Symbol     string  `json:"symbol"`
	Kind       string  `json:"kind"`
	Decision   string  `json:"decision"`
	Site       string  `json:"site"`
	Budget     string  `json:"budget"`
	SlopePerOp float64 `json:"slope_per_op"`
	SlopeLo    float64 `json:"slope_per_op_lo"`
	SlopeHi    float64 `json:"slope_per_op_hi"`
	SlopePerS  float64 `json:"slope_per_s"`
	Restarts   int     `json:"restarts"`
	Series     int     `json:"series"`
	Limit      float64 `json:"limit"`
	LimitName  string  `json:"limit_name"`
	ToLimitS   float64 `json:"time_to_limit_s"`
	Last       float64 `json:"last"`
	Blocked    *struct {
		Goroutines int    `json:"goroutines"`
		Labeled    int    `json:"labeled"`
		Wait       string `json:"wait"`
	} `json:"blocked_forever"`
}

// jsonReport is what the tests read of --json.
type jsonReport struct {
	X         string            `json:"x"`
	Ops       int64             `json:"ops"`
	Stopped   string            `json:"stopped"`
	Error     string            `json:"error"`
	HistoryS  float64           `json:"history_s"`
	Verdicts  []jsonVerdict     `json:"verdicts"`
	Artifacts map[string]string `json:"artifacts"`
}

func readJSON(t *testing.T, path string) jsonReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// verdict is the verdict of sym, or nil.
func (r jsonReport) verdict(sym string) *jsonVerdict {
	for i := range r.Verdicts {
		if r.Verdicts[i].Symbol == sym {
			return &r.Verdicts[i]
		}
	}
	return nil
}

// leaks lists "kind site" (or the symbol, when it has no site) of the
// leak verdicts.
func (r jsonReport) leaks() []string {
	var out []string
	for _, v := range r.Verdicts {
		if v.Decision == "leak" {
			if v.Site != "" {
				out = append(out, v.Kind+" "+v.Site)
			} else {
				out = append(out, v.Symbol)
			}
		}
	}
	return out
}

// lineOf finds the line of a service's source that holds text.
func lineOf(t *testing.T, file, text string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return fmt.Sprintf("%s:%d", filepath.Base(file), i+1)
		}
	}
	t.Fatalf("%q not in %s", text, file)
	return ""
}

func TestHammerGoServiceThroughPprof(t *testing.T) {
	leakSite := lineOf(t, "testdata/gosvc/main.go", "remember(make([]byte, 4096))")
	goSite := lineOf(t, "testdata/gosvc/main.go", "go func() { <-block }()")
	// Sampled heap data never rules out growth under its resolution (3 ×
	// 512 KiB over the ops seen), so a budget of 0 B/op leaves a clean
	// site undecided until the cap; a budget over it decides.
	budgets := []string{"--budget", "heap.bytes:* <= 512B/op", "--budget", "heap.objects:* <= 4/op"}
	for _, tc := range []struct {
		name  string
		path  string
		flags []string
		code  int
		leaks []string
	}{
		// The exact total proves the leak at the first look, and the run
		// stops there: the sampled site is proven at that look too, or
		// named among the suspects.
		{"leak", "/leak", nil, 1, []string{"runtime.heap.bytes"}},
		// 16 B a request is far under the sampling: only the exact total
		// sees it (the sites are budgeted over their resolution).
		{"small-leak", "/smallleak", budgets, 1, []string{"runtime.heap.bytes"}},
		// The leaked goroutines' heap grows too, in sampled steps that
		// may not decide before the cap; a budget over the resolution
		// lets the run end once the goroutines are proven. Their heap
		// total (~600 B/op) is within a user's budget, which wins over
		// --pprof's.
		{"goleak", "/goleak", append([]string{"--budget", "runtime.heap.bytes <= 1MiB/op"}, budgets...), 1, []string{"goroutines " + goSite}},
		{"clean", "/clean", budgets, 0, nil},
		{"bounded-cache", "/cache", budgets, 0, nil},
		{"clean-at-0B", "/clean", nil, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, svc := goService(t) // a fresh service: no state from other endpoints
			dir := t.TempDir()
			js := filepath.Join(dir, "out.json")
			// Runs end decided, or at the leak, in 5-20s; the cap is room for
			// a loaded machine (its service slows down as much).
			args := append([]string{"hammer", "--pprof", url + "/debug/pprof", "--max-duration", "180s",
				"--out", filepath.Join(dir, "artifacts"), "--json", js}, tc.flags...)
			stdout, stderr, code := cli(t, append(args, url+tc.path)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			r := readJSON(t, js)
			got := r.leaks()
			if tc.name == "leak" {
				// Proven at the same look, or not yet: either is right.
				got = filterPrefix(got, "runtime.")
			}
			if tc.name == "goleak" {
				// The goroutines' stacks are heap too; the verdict that
				// must be there is the goroutines'.
				got = filterPrefix(got, "goroutines ")
			}
			if strings.Join(got, ", ") != strings.Join(tc.leaks, ", ") {
				t.Errorf("leaks %q, want %q\n%s", got, tc.leaks, stdout)
			}
			// The exact heap total: budgeted by --pprof, the known leak per
			// request where there is one (4 KiB, and its slot in a slice
			// that grows by a quarter: 24-30 B), no leak where there is none.
			total := r.verdict("runtime.heap.bytes")
			if total != nil {
				t.Logf("runtime.heap.bytes: %s, %.3f B/op [%.3f, %.3f]", total.Decision, total.SlopePerOp, total.SlopeLo, total.SlopeHi)
			}
			switch {
			case total == nil:
				t.Errorf("no runtime.heap.bytes verdict\n%s", stdout)
			case total.Budget != "runtime.heap.bytes <= 8B/op" && tc.name != "goleak",
				total.Budget != "runtime.heap.bytes <= 1MiB/op" && tc.name == "goleak":
				t.Errorf("runtime.heap.bytes budget %q", total.Budget)
			case tc.path == "/leak" && (total.SlopePerOp < 4096+16 || total.SlopePerOp > 4096+48 || total.SlopeLo < 4096 || total.SlopeHi > 4096+64):
				t.Errorf("runtime.heap.bytes slope %.1f B/op [%.1f, %.1f], want ~4,120 B/op", total.SlopePerOp, total.SlopeLo, total.SlopeHi)
			case tc.path == "/smallleak" && (total.SlopePerOp < 16+16 || total.SlopePerOp > 16+48):
				t.Errorf("runtime.heap.bytes slope %.1f B/op [%.1f, %.1f], want ~42 B/op", total.SlopePerOp, total.SlopeLo, total.SlopeHi)
			case tc.code == 0 && total.Decision != "within":
				t.Errorf("runtime.heap.bytes of a clean service: %s, %.3f B/op [%.3f, %.3f]", total.Decision, total.SlopePerOp, total.SlopeLo, total.SlopeHi)
			}
			if r.X != "ops" || r.Ops < 11000 {
				t.Errorf("x %q, ops %d", r.X, r.Ops)
			}
			// The service's own profiles, and the same page as Check's.
			for _, k := range []string{"first_profile", "last_profile", "html", "json"} {
				if _, err := os.Stat(r.Artifacts[k]); err != nil {
					t.Errorf("artifact %s: %v", k, err)
				}
			}
			page, _ := os.ReadFile(r.Artifacts["html"])
			if !bytes.Contains(page, []byte("<svg class=\"chart\"")) {
				t.Errorf("report.html has no chart")
			}
			if tc.name == "leak" {
				// At the look that proved it: "leak", or "decided" when
				// nothing else was left to decide; never the cap.
				if r.Stopped != "leak" && r.Stopped != "decided" {
					t.Errorf("stopped %q, want at the look that proved the leak", r.Stopped)
				}
				site := "heap.bytes:main.main (closure) " + leakSite
				if _, suspects, _ := strings.Cut(stdout, "not proven on their own"); !strings.Contains(suspects, site) && !strings.Contains(stdout, "\n"+site+"\n    slope") {
					t.Errorf("the leaking site %s is neither a leak nor among the suspects:\n%s", leakSite, stdout)
				}
				// The service mounts package heldby: its sampled objects
				// (some 80 of the 11,000 leaked) show what holds them.
				if !heldFrom(stdout, "var main.sessions  [global]", "main.main (closure) "+leakSite) {
					t.Errorf("no held by block from var main.sessions to %s in:\n%s", leakSite, stdout)
				}
			}
			if tc.code == 1 && !strings.Contains(stdout, "profiles: go tool pprof -diff_base "+r.Artifacts["first_profile"]) {
				t.Errorf("no pprof command in:\n%s", stdout)
			}
			if svc.ProcessState != nil {
				t.Fatal("the service died")
			}
			if tc.name == "leak" {
				// The CLI's page, opened offline in a real browser.
				dom := browser.DOM(t, r.Artifacts["html"])
				for _, want := range []string{`<tr class="leak">`, `<svg class="chart"`, `<polygon class="band"`, leakSite} {
					if !strings.Contains(dom, want) {
						t.Errorf("report.html in the browser lacks %q", want)
					}
				}
			}
			if !strings.Contains(stderr, "leaktest: hammer: ") {
				t.Errorf("no progress lines on stderr: %q", stderr)
			}
			if r.Stopped != "decided" && tc.code == 0 {
				t.Errorf("the run should stop once nothing more can be decided; stopped: %s\n%s", r.Stopped, stdout)
			}
			if tc.name == "clean-at-0B" {
				// Flat sampled sites are never within 0 B/op: undecided,
				// with the reason, and they do not hold the run.
				if !strings.Contains(stdout, "the heap profile is sampled (one sample per 512 KiB allocated") {
					t.Errorf("does not say the heap data is sampled:\n%s", stdout)
				}
				for _, v := range r.Verdicts {
					if v.Kind == "heap.bytes" && v.Decision != "undecided" {
						t.Errorf("%s is %s from sampled data at 0 B/op", v.Symbol, v.Decision)
					}
				}
			}
		})
	}
}

func filterPrefix(s []string, prefix string) []string {
	var out []string
	for _, x := range s {
		if strings.HasPrefix(x, prefix) {
			out = append(out, x)
		}
	}
	return out
}

func TestHammerPythonServiceByPid(t *testing.T) {
	url, svc := pyService(t)
	pid := fmt.Sprint(svc.Process.Pid)
	for _, tc := range []struct {
		path  string
		code  int
		leaks []string
	}{
		{"/leak", 1, []string{"process.rss"}},
		{"/clean", 0, nil},
		{"/fdleak", 1, []string{"process.rss", "process.fds"}},
	} {
		t.Run(tc.path[1:], func(t *testing.T) {
			dir := t.TempDir()
			js := filepath.Join(dir, "out.json")
			stdout, stderr, code := cli(t, "hammer", "--pid", pid, "--max-duration", "90s", "--out", dir, "--json", js, url+tc.path)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			if got := readJSON(t, js).leaks(); strings.Join(got, ", ") != strings.Join(tc.leaks, ", ") {
				t.Errorf("leaks %q, want %q\n%s", got, tc.leaks, stdout)
			}
		})
	}
}

func TestHammerACommandPerOp(t *testing.T) {
	url, svc := pyService(t)
	// Each op runs gosvc as a one-request client: the seed's -z.
	dir := t.TempDir()
	stdout, stderr, code := cli(t, "hammer", "--pid", fmt.Sprint(svc.Process.Pid), "-n", "20", "--min-ops", "600", "--warm-up", "100",
		"--max-duration", "180s", "--out", dir, "--json", filepath.Join(dir, "r.json"), "--", buildGoSvc(t), "get", url+"/leak")
	if code != 1 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	r := readJSON(t, filepath.Join(dir, "r.json"))
	if got := r.leaks(); len(got) != 1 || got[0] != "process.rss" {
		t.Errorf("leaks %q\n%s", got, stdout)
	}
	if !strings.Contains(stdout, "leaktest: hammer: 1 leaking symbol in ") {
		t.Errorf("%s", stdout)
	}
}

// killAtProgress is a stderr that kills a service at the hammer's first
// progress line: the run has snapshots and ops by then, however long a
// loaded machine took to get there.
type killAtProgress struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	proc *os.Process
}

func (k *killAtProgress) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.proc != nil && bytes.Contains(p, []byte("leaktest: hammer: ")) {
		k.proc.Kill()
		k.proc = nil
	}
	return k.buf.Write(p)
}

func (k *killAtProgress) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.buf.String()
}

// cliKilling runs the command in process like cli, killing proc at its
// first progress line.
func cliKilling(t *testing.T, proc *os.Process, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o bytes.Buffer
	e := &killAtProgress{proc: proc}
	code = exitCode(e, run(&o, e, args))
	return o.String(), e.String(), code
}

func TestTargetThatDiesGivesAClearErrorAndThePartialReport(t *testing.T) {
	url, svc := pyService(t)
	pid := svc.Process.Pid
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	stdout, stderr, code := cliKilling(t, svc.Process, "hammer", "--pid", fmt.Sprint(pid), "--min-ops", "10000000", "--max-duration", "60s", "--out", dir, "--json", js, url+"/clean")
	if code != 3 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The probe sees the exit first at a snapshot, or the ops fail first.
	died := regexp.MustCompile(fmt.Sprintf(`process %d exited|process %d is not running|the target stopped answering`, pid, pid))
	if !died.MatchString(stderr) {
		t.Errorf("stderr does not say the target died:\n%s", stderr)
	}
	if !strings.Contains(stdout, "the run stopped early (error), this report is partial") || !strings.Contains(stdout, "process.rss") {
		t.Errorf("no partial report:\n%s", stdout)
	}
	if r := readJSON(t, js); r.Stopped != "error" || !died.MatchString(r.Error) || r.Ops == 0 {
		t.Errorf("json: stopped %q, error %q, ops %d", r.Stopped, r.Error, r.Ops)
	}
}

func TestPprofEndpointThatStopsAnswering(t *testing.T) {
	url, svc := goService(t)
	dir := t.TempDir()
	stdout, stderr, code := cliKilling(t, svc.Process, "hammer", "--pprof", url+"/debug/pprof", "--min-ops", "10000000", "--max-duration", "60s", "--out", dir, url+"/clean")
	if code != 3 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "the endpoint is not answering") && !strings.Contains(stderr, "the target stopped answering") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "this report is partial") || !strings.Contains(stdout, "goroutines") {
		t.Errorf("no partial report:\n%s", stdout)
	}
}

// load sends GETs to url one after another until the test ends: a service
// under its own load, for watch.
func load(t *testing.T, url string) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	var served atomic.Int64
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		for ctx.Err() == nil {
			req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
			if resp, err := client.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				served.Add(1)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	// The service settles under its load before the baseline: wait for
	// it to have answered a few hundred requests, however long that takes
	// on a loaded machine.
	deadline := time.Now().Add(60 * time.Second)
	for served.Load() < 300 {
		if time.Now().After(deadline) {
			t.Fatalf("%s answered %d requests in 60s", url, served.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// warm lets a service settle under its load before a watch takes its
// baseline (threads started, first allocations made), as a watched
// production service would have.

func TestWatchPythonServiceByPid(t *testing.T) {
	t.Run("leak", func(t *testing.T) {
		url, svc := pyService(t)
		load(t, url+"/leak")
		dir := t.TempDir()
		stdout, stderr, code := cli(t, "watch", "--pid", fmt.Sprint(svc.Process.Pid), "--interval", "50ms", "--max-duration", "60s", "--out", dir, "--json", filepath.Join(dir, "r.json"))
		if code != 1 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		r := readJSON(t, filepath.Join(dir, "r.json"))
		if got := r.leaks(); len(got) != 1 || got[0] != "process.rss" || r.X != "seconds" {
			t.Errorf("leaks %q, x %q\n%s", got, r.X, stdout)
		}
		if !strings.Contains(stdout, "of watching (a snapshot every 50ms)") || !strings.Contains(stdout, "budget 1 MiB/h") {
			t.Errorf("%s", stdout)
		}
	})
	t.Run("clean", func(t *testing.T) {
		url, svc := pyService(t)
		load(t, url+"/clean")
		stdout, stderr, code := cli(t, "watch", "--pid", fmt.Sprint(svc.Process.Pid), "--interval", "50ms", "--max-duration", "4s", "--out", t.TempDir())
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "leaktest: watch: no leak in ") {
			t.Errorf("%s", stdout)
		}
	})
}

func TestWatchGoServiceThroughPprof(t *testing.T) {
	url, _ := goService(t)
	load(t, url+"/goleak")
	dir := t.TempDir()
	stdout, stderr, code := cli(t, "watch", "--pprof", url+"/debug/pprof/", "--interval", "50ms", "--max-duration", "60s", "--out", dir, "--json", filepath.Join(dir, "r.json"))
	if code != 1 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := "goroutines " + lineOf(t, "testdata/gosvc/main.go", "go func() { <-block }()")
	r := readJSON(t, filepath.Join(dir, "r.json"))
	if got := filterPrefix(r.leaks(), "goroutines "); len(got) != 1 || got[0] != want {
		t.Errorf("leaks %q, want %q\n%s", got, want, stdout)
	}
	// The exact heap total, budgeted per time by --pprof.
	if v := r.verdict("runtime.heap.bytes"); v == nil || v.Budget != "runtime.heap.bytes <= 1MiB/h" {
		t.Errorf("runtime.heap.bytes verdict %+v\n%s", v, stdout)
	}
	// Charts of a watch run over seconds.
	dom := browser.DOM(t, r.Artifacts["html"])
	if !strings.Contains(dom, `text-anchor="middle">seconds</text>`) || !strings.Contains(dom, `<tr class="leak">`) {
		t.Errorf("watch page lacks a seconds axis or the leak row")
	}
}

func TestInterruptPrintsThePartialReport(t *testing.T) {
	url, _ := goService(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "hammer", "--pprof", url+"/debug/pprof", "--min-ops", "100000000", "--max-duration", "120s", "--out", dir, url+"/clean")
	cmd.Env = append(os.Environ(), "LEAKSLOPE_CLI_MAIN=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Wait for the hammer to be running (its first progress line), then
	// Ctrl-C.
	sc := bufio.NewScanner(stderr)
	var errText strings.Builder
	for sc.Scan() {
		errText.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "leaktest: hammer: ") {
			break
		}
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	errText.Write(rest)
	err = cmd.Wait()
	took := time.Since(sent)
	code := cmd.ProcessState.ExitCode()
	if code != 3 {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", code, err, stdout.String(), errText.String())
	}
	// Loose for a loaded machine; ignored, Ctrl-C would leave it to its
	// 120s cap.
	if took > 30*time.Second {
		t.Errorf("took %v to stop after Ctrl-C", took)
	}
	if !strings.Contains(stdout.String(), "the run stopped early (canceled), this report is partial") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	if !strings.Contains(errText.String(), "leakslope: interrupted: the report above is partial") {
		t.Errorf("stderr:\n%s", errText.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err != nil {
		t.Errorf("no report.json after Ctrl-C: %v", err)
	}
}

func TestProgressOnATerminalRewritesOneLine(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, tty: true}
	fmt.Fprintln(p, "leaktest: hammer: 1,000 ops")
	fmt.Fprintln(p, "leaktest: hammer: 2,000 ops")
	p.done()
	if got, want := b.String(), "\r\x1b[Kleaktest: hammer: 1,000 ops\r\x1b[Kleaktest: hammer: 2,000 ops\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	b.Reset()
	p = newProgress(&b) // not a terminal: plain lines
	fmt.Fprintln(p, "a")
	fmt.Fprintln(p, "b")
	p.done()
	if b.String() != "a\nb\n" {
		t.Errorf("plain: %q", b.String())
	}
}
