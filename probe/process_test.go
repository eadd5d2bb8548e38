package probe_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
)

func TestProcessProbeOfAChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := probe.Process(cmd.Process.Pid)
	s, err := p.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[leaktest.Symbol]float64{}
	for _, x := range s {
		got[x.Symbol] = x.Value
	}
	if got[leaktest.SymProcessRSS] <= 0 || got[leaktest.SymProcessThreads] < 1 || got[leaktest.SymProcessFDs] < 3 {
		t.Errorf("samples = %v", got)
	}
	cmd.Process.Kill()
	// A zombie first (not yet reaped), then gone: both are an exit. The
	// kill lands asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err = p.Take(context.Background())
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil || err.Error() != fmt.Sprintf("process %d exited (a zombie now)", cmd.Process.Pid) {
		t.Errorf("after kill: err = %v", err)
	}
	cmd.Wait()
	if _, err := p.Take(context.Background()); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("after reaping: err = %v", err)
	}
}

// TestMain makes this test binary, run with LEAKSLOPE_PROBE_CHILD=fdleak,
// a service of another process that, once a byte comes on its stdin,
// leaks an open file every 2 ms under an open-files limit of 128, and then
// sits at the limit.
func TestMain(m *testing.M) {
	if os.Getenv("LEAKSLOPE_PROBE_CHILD") == "fdleak" {
		lim := syscall.Rlimit{Cur: 128, Max: 128}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Stdin.Read(make([]byte, 1))
		var held []*os.File
		for {
			f, err := os.Open(os.DevNull)
			if err == nil {
				held = append(held, f)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	os.Exit(m.Run())
}

// gated is a probe that starts the child's leak once it has taken the
// watch's baseline, and passes its limits on.
type gated struct {
	leaktest.Probe
	once  sync.Once
	start func()
}

func (g *gated) Take(ctx context.Context) ([]leaktest.Sample, error) {
	s, err := g.Probe.Take(ctx)
	g.once.Do(g.start)
	return s, err
}

func (g *gated) Limits() map[leaktest.Symbol]leaktest.Limit {
	return g.Probe.(leaktest.Limiter).Limits()
}

// The probe reads the process's own open-files limit, not the test's.
func TestProcessProbeReadsTheLimitOfTheProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process.fds and its limit are read on Linux only")
	}
	cmd := exec.Command("sh", "-c", "ulimit -n 200 && exec sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	p := probe.Process(cmd.Process.Pid)
	// The shell execs sleep once it set the limit: wait for that.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := p.Take(context.Background()); err != nil {
			t.Fatal(err)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", cmd.Process.Pid))
		if strings.TrimSpace(string(comm)) == "sleep" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	l, ok := p.(leaktest.Limiter)
	if !ok {
		t.Fatal("the process probe is not a Limiter")
	}
	got := l.Limits()[leaktest.SymProcessFDs]
	if got.Value != 200 || got.Name != "RLIMIT_NOFILE" {
		t.Errorf("limit of process.fds = %+v, want 200 (RLIMIT_NOFILE)", got)
	}
}

// A watched process that leaks files until it has none left broke: the
// watch stops there, decides on the data so far, and leads with what
// broke — the power the in-process probe has, from outside the core.
// The child runs into its limit in about 0.25 s, before the 16 snapshots
// (0.8 s) a watch's first verdict needs: it is the limit that ends it,
// and with too few snapshots to prove a trend the watch failed.
func TestWatchOfAProcessThatRunsOutOfFiles(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process.fds and its limit are read on Linux only")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LEAKSLOPE_PROBE_CHILD=fdleak")
	cmd.Stderr = os.Stderr
	go1, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	p := &gated{Probe: probe.Process(cmd.Process.Pid), start: func() { go1.Write([]byte{1}) }}
	rep, err := leaktest.Watch(context.Background(), leaktest.WithProbes(p),
		leaktest.Interval(50*time.Millisecond), leaktest.MaxDuration(2*time.Minute), leaktest.ArtifactsDir(t.TempDir()))
	// Too few snapshots to prove a trend: the break is the watch's
	// error, never a pass.
	var b *leaktest.Break
	if !errors.As(err, &b) || rep == nil {
		t.Fatalf("err = %v, want the break\n%s", err, rep)
	}
	if rep.Stopped != leaktest.StopExhausted || rep.Broken != b || b.Symbol != leaktest.SymProcessFDs || b.Limit != 128 || b.LimitName != "RLIMIT_NOFILE" {
		t.Fatalf("stopped %q, broken %+v\n%s", rep.Stopped, b, rep)
	}
	for _, v := range rep.Verdicts {
		if v.Symbol == leaktest.SymProcessFDs && !v.Exhausted {
			t.Errorf("process.fds verdict %+v is not marked exhausted", v)
		}
	}
	msg := rep.String()
	if !strings.HasPrefix(msg, "leaktest: watch: process.fds reached ") || !strings.Contains(msg, "of its limit 128 (RLIMIT_NOFILE) after ") {
		t.Errorf("the report does not lead with what broke:\n%s", msg)
	}
}
