package leaktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// A leak that breaks the target before MinOps: each op opens a TCP
// connection to a listener in the same process and never closes it (two
// file descriptors and a server goroutine per op), in a child process
// whose RLIMIT_NOFILE is lowered so the limit comes at about op 2,000 of
// a run that wants 10,000 after warm-up. When the limit comes, the op
// blocks forever (ignoring its context), or fails fast; with the
// in-process resource probe, process.fds reaches its limit first.
// Whatever breaks, the run must say what broke first, prove the growth on
// the data until then, and fail — never pass, never wait for the cap.
func TestTargetThatBreaksIsALeak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes to their limits; runs without -short")
	}
	cases := []struct {
		name   string
		env    []string
		reason leaktest.StopReason
		kinds  []string // leak verdicts, one of which must be of these kinds
		first  string   // the message's first line holds this
	}{
		{"fds-block", nil, leaktest.StopStalled, []string{"goroutines", "heap.bytes", "heap.objects"}, "the target stopped completing ops at op "},
		{"fds-fail", nil, leaktest.StopFailing, []string{"goroutines", "heap.bytes", "heap.objects"}, "the target's ops started failing at op "},
		{"fds-exhaust", nil, leaktest.StopExhausted, []string{"process.fds"}, "process.fds reached "},
		{"gomemlimit", []string{"GOMEMLIMIT=128MiB"}, leaktest.StopExhausted, []string{"heap.bytes"}, "runtime.heap.bytes reached "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBreakChild$", "-test.v")
			cmd.Env = append(os.Environ(), append(c.env, "LEAKSLOPE_BREAK_CHILD="+c.name, "LEAKSLOPE_BREAK_DIR="+dir)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			text, err := os.ReadFile(filepath.Join(dir, "report.txt"))
			if err != nil {
				t.Fatalf("child wrote no report: %v\n%s", err, out)
			}
			var rep struct {
				Stopped  leaktest.StopReason `json:"stopped"`
				Ops      int64               `json:"ops"`
				Error    string              `json:"error"`
				Broken   *struct{ Reason leaktest.StopReason }
				Verdicts []struct {
					Kind, Decision string
					Exhausted      bool
				}
			}
			data, err := os.ReadFile(filepath.Join(dir, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &rep); err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(strings.TrimPrefix(string(text), "leaktest: "+c.name+": "), "\n")
			if rep.Stopped != c.reason || rep.Broken == nil || !strings.Contains(first, c.first) {
				t.Fatalf("stopped %q, broken %v, first line %q; want %q leading with %q\n%s", rep.Stopped, rep.Broken, first, c.reason, c.first, text)
			}
			if rep.Ops >= 10_000 {
				t.Errorf("ran %d ops: the break should have come near op 2,000", rep.Ops)
			}
			leak := false
			for _, v := range rep.Verdicts {
				for _, k := range c.kinds {
					if v.Kind == k && v.Decision == "leak" {
						leak = true
					}
				}
				if v.Kind == "process.fds" && c.name == "fds-exhaust" && !v.Exhausted {
					t.Errorf("process.fds not marked exhausted")
				}
			}
			if !leak || rep.Error != "" {
				t.Fatalf("want a leak of %v proven up to the break, and no run error (got %q):\n%s", c.kinds, rep.Error, text)
			}
			t.Logf("%s", first)
		})
	}
}

// TestBreakChild is the child of TestTargetThatBreaksIsALeak.
func TestBreakChild(t *testing.T) {
	name := os.Getenv("LEAKSLOPE_BREAK_CHILD")
	if name == "" {
		t.Skip("the child of TestTargetThatBreaksIsALeak")
	}
	dir := os.Getenv("LEAKSLOPE_BREAK_DIR")
	opts := []leaktest.Option{leaktest.Name(name), leaktest.ArtifactsDir(dir), leaktest.MaxDuration(60 * time.Second), leaktest.SnapshotEvery(100)}
	var target runner.Target
	release := func() {}
	if name == "gomemlimit" {
		// 16 KiB a op: 128 MiB at about op 8,000; MinOps far past it.
		var held [][]byte
		var mu sync.Mutex
		target = runner.Func(func(context.Context, int) error {
			b := make([]byte, 16<<10)
			mu.Lock()
			held = append(held, b)
			mu.Unlock()
			return nil
		})
		opts = append(opts, leaktest.MinOps(100_000), leaktest.SnapshotEvery(300))
	} else {
		limit := syscall.Rlimit{Cur: 4096, Max: 4096}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &limit); err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					time.Sleep(time.Millisecond) // out of fds: try again
					continue
				}
				go func() { // the server side, reading until the client goes
					buf := make([]byte, 1)
					for {
						if _, err := c.Read(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
		var held []net.Conn
		var mu sync.Mutex
		block := make(chan struct{}) // never closed: the blocking case ignores its context
		target = runner.Func(func(ctx context.Context, i int) error {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				if name == "fds-block" {
					<-block
				}
				return err
			}
			mu.Lock()
			held = append(held, c) // never closed
			mu.Unlock()
			return nil
		})
		if name != "fds-exhaust" {
			opts = append(opts, leaktest.WithoutResources())
		}
		release = func() {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range held {
				c.Close()
			}
			ln.Close()
		}
	}
	rep, err := leaktest.Run(context.Background(), target, opts...)
	if rep == nil {
		t.Fatal(err)
	}
	release() // the child's own files need descriptors too
	text := rep.String()
	if err != nil {
		text += fmt.Sprintf("\nrun error: %v\n", err)
	}
	if werr := os.WriteFile(filepath.Join(dir, "report.txt"), []byte(text), 0o644); werr != nil {
		t.Fatal(werr)
	}
	data, jerr := json.Marshal(rep)
	if jerr != nil {
		t.Fatal(jerr)
	}
	if werr := os.WriteFile(filepath.Join(dir, "report.json"), data, 0o644); werr != nil {
		t.Fatal(werr)
	}
	// Leave at once: the blocked ops and their connections go with the
	// process, which is the point of running in a child.
	os.Exit(0)
}

// A target that stops completing ops is found within seconds of the stall,
// not after MaxDuration: the report leads with it, and with no growth to
// show for it the run itself failed.
func TestStalledTargetFailsTheRunQuickly(t *testing.T) {
	for _, honours := range []bool{true, false} {
		t.Run(fmt.Sprintf("honours-context=%v", honours), func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			start := time.Now()
			rep, err := leaktest.Run(context.Background(), runner.Func(func(ctx context.Context, i int) error {
				if i >= 3000 {
					if honours {
						select {
						case <-ctx.Done():
							return ctx.Err()
						case <-release:
						}
					} else {
						<-release
					}
				}
				return nil
			}), leaktest.Name("stall"), leaktest.StallAfter(200*time.Millisecond), leaktest.MaxDuration(time.Minute), leaktest.ArtifactsDir(t.TempDir()))
			var brk *leaktest.Break
			if !errors.As(err, &brk) || rep == nil || rep.Stopped != leaktest.StopStalled || brk.Op != 3000 {
				t.Fatalf("err = %v (break %+v), want the stall at op 3,000 as the run's error\n%s", err, brk, rep)
			}
			if el := time.Since(start); el > 30*time.Second {
				t.Errorf("the stall took %v to report; MaxDuration is a minute", el)
			}
			if !strings.HasPrefix(rep.String(), "leaktest: stall: the target stopped completing ops at op 3,000") {
				t.Errorf("the message does not lead with the stall:\n%s", rep)
			}
			stalled := rep.Snapshots[len(rep.Snapshots)-1].Stalled
			if !stalled {
				t.Errorf("the last snapshot is not marked as taken with ops in flight")
			}
			if warned := strings.Contains(rep.String(), "still running"); warned == honours {
				t.Errorf("honours its context = %v, but the warning about blocked ops is there = %v:\n%s", honours, warned, rep)
			}
		})
	}
}

// A target that never worked is a failed run, never a pass, unless the
// user said its errors are expected.
func TestTargetThatNeverWorkedFailsTheRun(t *testing.T) {
	fail := runner.Func(func(context.Context, int) error { return errors.New("connection refused") })
	rep, err := leaktest.Run(context.Background(), fail, leaktest.MinOps(2000), leaktest.WithoutHeap(), leaktest.ArtifactsDir(t.TempDir()))
	// It ends after its first round: hammering on would prove nothing.
	if err == nil || rep == nil || !strings.Contains(err.Error(), "the target failed 100 of its 100 ops") || !strings.Contains(err.Error(), "the first: op ") || !strings.Contains(err.Error(), ": connection refused") {
		t.Fatalf("err = %v, want the run failed with its op errors\n%s", err, rep)
	}
	if first, _, _ := strings.Cut(rep.String(), "\n\n"); !strings.Contains(rep.String(), "\nop errors: 100 of 100 ops\n") || strings.Contains(first, "no leak") && !strings.Contains(first, "before the run stopped") {
		t.Errorf("report does not show the op errors first:\n%s", rep)
	}
	// Ops that mostly fail, not all: a failed run too, at its end.
	rep, err = leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
		if i%4 != 0 {
			return errors.New("503 Service Unavailable")
		}
		return nil
	}), leaktest.MinOps(2000), leaktest.WithoutHeap(), leaktest.ArtifactsDir(t.TempDir()))
	if err == nil || !strings.Contains(err.Error(), "a run whose ops mostly failed has proven nothing") {
		t.Fatalf("3 ops in 4 failing: err = %v\n%s", err, rep)
	}
	rep, err = leaktest.Run(context.Background(), fail, leaktest.ExpectErrors(), leaktest.MinOps(2000), leaktest.WithoutHeap(), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil || rep.Failed() {
		t.Fatalf("with ExpectErrors: err = %v, failed = %v", err, rep.Failed())
	}
}

// Growth that goes flat as a third of the ops start failing (under the
// failing break's half) is not "within because the growth stopped": it
// stays undecided, and a warning says why.
func TestPlateauAsOpsStartFailingIsNotStopped(t *testing.T) {
	var mu sync.Mutex
	var held []*[64]byte
	rep, err := leaktest.Run(context.Background(), runner.Func(func(_ context.Context, i int) error {
		if i < 2000 {
			mu.Lock()
			held = append(held, new([64]byte))
			mu.Unlock()
			return nil
		}
		if i%3 == 0 {
			return errors.New("too many open files")
		}
		return nil
	}), leaktest.MinOps(3000), leaktest.MaxDuration(6*time.Second), leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ops < 4000 {
		t.Fatalf("ran %d ops in 6s: too few for a look", rep.Ops)
	}
	for _, v := range rep.Verdicts {
		if v.Kind() == leaktest.KindHeapObjects && v.Last-v.First > 900 && v.Decision == leaktest.Within {
			t.Errorf("%s grew %v → %v then went flat as ops failed: within (stopped=%v)", v.Symbol, v.First, v.Last, v.Stopped)
		}
	}
	if !strings.Contains(rep.String(), "went flat as the ops started failing") {
		t.Errorf("no warning on the failing plateau:\n%s", rep)
	}
}
