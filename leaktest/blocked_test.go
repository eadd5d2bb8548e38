package leaktest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakslope/leakslope/internal/leakprofile"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// alone runs the calling test again in a child process of its own, and
// reports whether this is that child. The goroutines these tests leave
// blocked forever stay for the process's life, and so do a detection's
// marks, which refuse every later heap dump (held by): the other tests
// of the package must not inherit them.
func alone(t *testing.T, env ...string) bool {
	t.Helper()
	if os.Getenv("LEAKSLOPE_ALONE") == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(append(os.Environ(), "LEAKSLOPE_ALONE="+t.Name()), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("in a process of its own %q: %v\n%s", env, err, out)
	}
	return false
}

// blockForever starts a goroutine blocked forever on a channel nothing
// else holds: the go statement is the site every caller's goroutines
// share.
func blockForever() {
	go func() { // LEAK blockForever
		ch := make(chan int)
		<-ch // LEAK blockForever-recv
	}()
}

// waitOn starts a goroutine waiting on wg: blocked forever when nothing
// else holds wg, parked and well when something does.
func waitOn(wg *sync.WaitGroup) {
	go func() { // LEAK waitOn
		wg.Wait()
	}()
}

// blockForeverOther leaves a goroutine blocked forever at waitOn's site.
func blockForeverOther() {
	wg := new(sync.WaitGroup)
	wg.Add(1)
	waitOn(wg)
}

// line is the file:line of blocked_test.go marked "// LEAK name".
func line(t *testing.T, name string) string {
	t.Helper()
	for l := range markerLinesFile(t, "blocked_test.go", name) {
		return l
	}
	return ""
}

// waitBlocked waits until n more goroutines than before are parked: a go
// statement returns before its goroutine blocks.
func waitBlocked(before, n int) {
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() < before+n && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}

// blockSite is the symbol of a site above: the creator's short name and
// the go statement's file:line, as the goroutine probe names it.
func blockSite(t *testing.T, fn string) leaktest.Symbol {
	return leaktest.Sym(leaktest.KindGoroutines, "leaktest_test."+fn+" "+line(t, fn))
}

// TestBlockedForeverIsALeakWithoutATrend: three goroutines blocked
// forever, started by the first three ops, are no trend (a bounded rise);
// the runtime's goroutine leak detection proves them leaked, and the
// failure says so with the stack they are blocked at. Goroutines blocked
// forever since before the run are not charged to it: two at the same
// site, and one at a site (waitOn) whose live goroutines grew during the
// run by two that are well. Twice: the run's goroutines are told by
// their labels in the profile, matched by stack, and (with
// GODEBUG=tracebacklabels=1, Go 1.27's default for a module at go 1.27)
// by the labels the traceback prints.
func TestBlockedForeverIsALeakWithoutATrend(t *testing.T) {
	leakprofile.Need(t)
	if !alone(t) {
		alone(t, "GODEBUG=tracebacklabels=1")
		return
	}
	before := runtime.NumGoroutine()
	blockForever()
	blockForever()
	blockForeverOther()
	waitBlocked(before, 3)

	held := new(sync.WaitGroup)
	held.Add(1)
	defer held.Done()
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		if i < 3 {
			blockForever()
		}
		if i == 100 || i == 101 {
			waitOn(held)
		}
		return nil
	}), leaktest.Workers(2), leaktest.MinOps(2000), leaktest.MaxDuration(20*time.Second), leaktest.WithoutHeldBy(), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	sym := blockSite(t, "blockForever")
	var v *leaktest.Verdict
	for i := range rep.Verdicts {
		if rep.Verdicts[i].Symbol == sym {
			v = &rep.Verdicts[i]
		}
	}
	if v == nil || v.Decision != leaktest.Leak || v.Blocked == nil {
		t.Fatalf("%s is no blocked-forever leak (%+v):\n%s", sym, v, rep)
	}
	if b := v.Blocked; b.Goroutines != 3 || b.Labeled != 3 || b.Wait != "chan receive" {
		t.Errorf("blocked %+v, want the run's 3 (all labeled) on chan receive", b)
	}
	if len(v.Stack) == 0 || !strings.Contains(v.Stack[0], line(t, "blockForever-recv")) {
		t.Errorf("stack %q: want the receive, the receive line, first", v.Stack)
	}
	other := blockSite(t, "waitOn")
	if v := verdictOf(rep, other); v == nil || v.Blocked != nil || v.Last != 3 {
		t.Errorf("%s: %+v, want its 3 goroutines (one blocked forever from before, two well) and none charged", other, v)
	}
	text := rep.String()
	if strings.Contains(text, "goroutine leak detection found") {
		t.Errorf("goroutines from before the run are in a warning:\n%s", text)
	}
	for _, want := range []string{
		"proof   3 goroutines blocked forever (chan receive), found by the runtime's goroutine leak detection",
		"created at " + line(t, "blockForever") + "; one of them is blocked at",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the message lacks %q:\n%s", want, text)
		}
	}
	var js struct {
		Verdicts []struct {
			Symbol   string `json:"symbol"`
			Decision string `json:"decision"`
			Blocked  *struct {
				Goroutines int    `json:"goroutines"`
				Labeled    int    `json:"labeled"`
				Wait       string `json:"wait"`
			} `json:"blocked_forever"`
		} `json:"verdicts"`
	}
	b := readReportJSON(t, rep, &js)
	found := false
	for _, jv := range js.Verdicts {
		if jv.Symbol == string(sym) {
			found = jv.Decision == "leak" && jv.Blocked != nil && jv.Blocked.Goroutines == 3 && jv.Blocked.Wait == "chan receive"
		} else if jv.Blocked != nil {
			t.Errorf("%s has blocked_forever %+v", jv.Symbol, jv.Blocked)
		}
	}
	if !found {
		t.Errorf("report.json has no blocked_forever leak for %s:\n%s", sym, b)
	}
}

// TestBlockedForeverStartedByAServer: an in-process server's handler
// starts the goroutines, not the ops (no label reaches them): they are
// charged to the run because their site grew while it ran.
func TestBlockedForeverStartedByAServer(t *testing.T) {
	leakprofile.Need(t)
	if !alone(t) {
		return
	}
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		leak := n <= 4
		mu.Unlock()
		if leak {
			blockForeverOther()
		}
	}))
	defer srv.Close()
	rep, err := leaktest.Run(context.Background(), runner.HTTP("GET", srv.URL), leaktest.Workers(2), leaktest.MinOps(1000), leaktest.MaxDuration(20*time.Second), leaktest.WithoutHeldBy(), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	sym := blockSite(t, "waitOn")
	for _, v := range rep.Leaks() {
		if v.Symbol == sym {
			if b := v.Blocked; b == nil || b.Goroutines != 4 || b.Labeled != 0 || b.Wait != "sync.WaitGroup.Wait" {
				t.Errorf("blocked %+v, want 4 unlabeled on sync.WaitGroup.Wait", b)
			}
			return
		}
	}
	t.Fatalf("no blocked-forever leak of %s:\n%s", sym, rep)
}

// TestBlockedForeverNotWhenWoken: goroutines that wait on what the
// process can still reach (a worker pool's channel, a package's mutex)
// are not blocked forever, and a run whose goroutines all end has nothing
// to ask: both pass.
func TestBlockedForeverNotWhenWoken(t *testing.T) {
	leakprofile.Need(t)
	if !alone(t) {
		return
	}
	jobs := make(chan int)
	var pool sync.WaitGroup
	defer func() { close(jobs); pool.Wait() }()
	var started sync.Once
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		started.Do(func() {
			// A lazily started pool: its goroutines grow once, and wait on
			// a channel the test still holds.
			for range 4 {
				pool.Add(1)
				go func() {
					defer pool.Done()
					for range jobs {
					}
				}()
			}
		})
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
		return nil
	}), leaktest.Workers(2), leaktest.MinOps(1000), leaktest.MaxDuration(20*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Verdicts {
		if v.Blocked != nil {
			t.Errorf("%s: blocked %+v", v.Symbol, v.Blocked)
		}
	}
	if rep.Failed() {
		t.Errorf("a clean target failed:\n%s", rep)
	}
}

// TestBlockedForeverAfterHeldBy: a run that leaks heap and a goroutine
// says what holds the heap (the heap dump comes first: once a detection
// marked goroutines leaked, the runtime's heap dump writer would crash)
// and proves the goroutine blocked forever.
func TestBlockedForeverAfterHeldBy(t *testing.T) {
	leakprofile.Need(t)
	if !alone(t) {
		return
	}
	defer clear(heldSessions)
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		heldSessions[i] = &heldSession{id: i}
		if i == 0 {
			blockForever()
		}
		return nil
	}), leaktest.Workers(1), leaktest.UntilAllDecided(), leaktest.MaxDuration(30*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	var heap, gor bool
	for _, v := range rep.Leaks() {
		switch {
		case v.Kind() == leaktest.KindHeapBytes && v.HeldBy != nil && len(v.HeldBy.Paths) > 0:
			heap = true
		case v.Symbol == blockSite(t, "blockForever") && v.Blocked != nil && v.Blocked.Goroutines == 1:
			gor = true
		}
	}
	if !heap || !gor {
		t.Fatalf("want a heap leak with its held by (%v) and the goroutine blocked forever (%v); warnings %q:\n%s", heap, gor, rep.Warnings, rep)
	}
}

// TestBlockedForeverOnlyWhereTheRuntimeHasIt: with a toolchain that has
// no goroutineleak profile (before Go 1.27), a run is what it always was:
// three goroutines left by three ops are a bounded rise, no leak, and no
// word of blocked goroutines. With one, they are a leak.
func TestBlockedForeverOnlyWhereTheRuntimeHasIt(t *testing.T) {
	if !alone(t) {
		return
	}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		if i < 3 {
			blockForever()
		}
		return nil
	}), leaktest.Workers(2), leaktest.MinOps(2000), leaktest.MaxDuration(20*time.Second), leaktest.WithoutHeldBy(), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	has := pprof.Lookup("goroutineleak") != nil
	v := verdictOf(rep, blockSite(t, "blockForever"))
	if v == nil {
		t.Fatalf("no verdict for %s:\n%s", blockSite(t, "blockForever"), rep)
	}
	if got := v.Blocked != nil && v.Decision == leaktest.Leak; got != has {
		t.Errorf("%s has the goroutineleak profile: %v; the goroutines blocked forever a leak: %v (%+v)\n%s", runtime.Version(), has, got, v.Blocked, rep)
	}
	if !has && (rep.Failed() || strings.Contains(rep.String(), "blocked forever")) {
		t.Errorf("without the profile, the run changed:\n%s", rep)
	}
}

func verdictOf(rep *leaktest.Report, sym leaktest.Symbol) *leaktest.Verdict {
	for i := range rep.Verdicts {
		if rep.Verdicts[i].Symbol == sym {
			return &rep.Verdicts[i]
		}
	}
	return nil
}

// TestBlockedForeverStartedForTheRunByAnEarlierRunsGoroutine: a
// dispatcher goroutine, started lazily by the ops of an earlier run,
// carries that run's label for good; goroutines it starts for a later
// run's ops and leaves blocked forever are the later run's leak (their
// site grew), not hidden as another run's.
func TestBlockedForeverStartedForTheRunByAnEarlierRunsGoroutine(t *testing.T) {
	leakprofile.Need(t)
	if !alone(t) {
		return
	}
	spawn := make(chan struct{})
	var start sync.Once
	dispatcher := runner.Func(func(ctx context.Context, i int) error {
		start.Do(func() {
			go func() {
				for range spawn {
					blockForever()
				}
			}()
		})
		return nil
	})
	opts := []leaktest.Option{leaktest.Workers(2), leaktest.MinOps(1000), leaktest.MaxDuration(20 * time.Second), leaktest.WithoutHeldBy(), leaktest.ArtifactsDir(t.TempDir())}
	if rep, err := leaktest.Run(context.Background(), dispatcher, opts...); err != nil || rep.Failed() {
		t.Fatalf("the first run: %v\n%s", err, rep)
	}
	rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
		if i < 3 {
			spawn <- struct{}{}
		}
		return nil
	}), opts...)
	if err != nil {
		t.Fatal(err)
	}
	v := verdictOf(rep, blockSite(t, "blockForever"))
	if v == nil || v.Decision != leaktest.Leak || v.Blocked == nil || v.Blocked.Goroutines != 3 || v.Blocked.Labeled != 0 {
		t.Fatalf("want the 3 goroutines blocked forever charged by their site's growth, none labeled: %+v\n%s", v, rep)
	}
}
