package runner_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakslope/leakslope/runner"
)

func TestHTTPTarget(t *testing.T) {
	var calls atomic.Int64
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Token") != "s3cret" || string(body) != `{"n":1}` || r.Method != "POST" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		switch r.URL.Path {
		case "/slow":
			select {
			case <-time.After(time.Minute):
			case <-r.Context().Done():
			}
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		}
		io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()

	opts := []runner.HTTPOption{runner.Body([]byte(`{"n":1}`)), runner.Header("X-Token", "s3cret")}
	h, err := runner.New(runner.HTTP("POST", srv.URL+"/ok", opts...), runner.Config{Workers: 4, Jobs: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e := h.Errors(); e.Count != 0 || calls.Load() != 200 {
		t.Fatalf("errors %+v, calls %d", e, calls.Load())
	}
	// One per worker, and now and then one more: a worker's next request
	// can race its connection's return to the idle pool, and the
	// transport dials (more often on a loaded machine). Without keep-alive
	// it would be 200.
	if n := conns.Load(); n > 50 {
		t.Errorf("%d connections for 200 requests over 4 workers: keep-alive is not reused", n)
	}

	// A non-2xx is an op error naming the status, unless expected.
	err = runner.HTTP("POST", srv.URL+"/teapot", opts...).Op(context.Background(), 0)
	if err == nil || !strings.Contains(err.Error(), "status 418 I'm a teapot") {
		t.Errorf("teapot: %v", err)
	}
	if err := runner.HTTP("POST", srv.URL+"/teapot", append(opts, runner.ExpectStatus(418))...).Op(context.Background(), 0); err != nil {
		t.Errorf("expected 418: %v", err)
	}
	// A timeout is an op error; the context stops a slow op too. The
	// bound is loose for a loaded machine and far under the minute /slow
	// takes.
	start := time.Now()
	err = runner.HTTP("POST", srv.URL+"/slow", append(opts, runner.Timeout(100*time.Millisecond))...).Op(context.Background(), 0)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 20*time.Second {
		t.Errorf("timeout: %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := runner.HTTP("POST", srv.URL+"/slow", opts...).Op(ctx, 0); err == nil {
		t.Error("a cancelled context did not stop the op")
	}
	if s := runner.HTTP("GET", "http://127.0.0.1:1/x").(interface{ String() string }).String(); s != "GET http://127.0.0.1:1/x" {
		t.Errorf("String = %q", s)
	}
}

func TestCommandTarget(t *testing.T) {
	if err := runner.Command("sh", "-c", "exit 0").Op(context.Background(), 0); err != nil {
		t.Errorf("exit 0: %v", err)
	}
	err := runner.Command("sh", "-c", "echo broken pipe >&2; exit 3").Op(context.Background(), 0)
	if err == nil || !strings.Contains(err.Error(), "exit status 3: broken pipe") {
		t.Errorf("exit 3: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := runner.Command("sleep", "100").Op(ctx, 0); err == nil || time.Since(start) > 30*time.Second {
		t.Errorf("the context did not kill the process: %v after %v", err, time.Since(start))
	}
}

func TestWithTimeoutFailsAHangingCommand(t *testing.T) {
	target := runner.WithTimeout(runner.Command("sleep", "987654"), 200*time.Millisecond)
	if s := target.(interface{ String() string }).String(); s != "sleep 987654" {
		t.Errorf("String = %q, want the command's", s)
	}
	h, err := runner.New(target, runner.Config{Workers: 2, Jobs: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	start := time.Now()
	if err := h.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Two rounds of 200ms; generous for a loaded machine, far from 987654s.
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("4 ops took %v", d)
	}
	e := h.Errors()
	if e.Count != 4 || len(e.First) != 4 {
		t.Fatalf("errors = %+v, want all 4 ops timed out", e)
	}
	for _, oe := range e.First {
		if !strings.HasPrefix(oe.Err.Error(), "op timed out after 200ms: sleep: signal: killed") || !errors.Is(oe, context.DeadlineExceeded) {
			t.Errorf("op error %q, want a timeout wrapping the killed process", oe)
		}
	}
}

func TestWithTimeoutPassesAFastOpThrough(t *testing.T) {
	boom := errors.New("boom")
	var sawDeadline atomic.Bool
	target := runner.WithTimeout(runner.Func(func(ctx context.Context, i int) error {
		if d, ok := ctx.Deadline(); ok && time.Until(d) > 0 && time.Until(d) <= time.Hour {
			sawDeadline.Store(true)
		}
		if i == 1 {
			return boom
		}
		return nil
	}), time.Hour)
	if err := target.Op(context.Background(), 0); err != nil || !sawDeadline.Load() {
		t.Errorf("fast op = %v (deadline seen: %v), want nil under a deadline", err, sawDeadline.Load())
	}
	if err := target.Op(context.Background(), 1); err != boom {
		t.Errorf("fast failing op = %v, want its own error untouched", err)
	}
	if s := target.(interface{ String() string }).String(); s != "runner.Func" {
		t.Errorf("String = %q", s)
	}
	// The run's own end is not the op's timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := runner.WithTimeout(runner.Func(func(ctx context.Context, i int) error {
		<-ctx.Done()
		return ctx.Err()
	}), time.Hour)
	if err := slow.Op(ctx, 0); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "timed out") {
		t.Errorf("canceled run = %v, want canceled, not timed out", err)
	}
	// Nested, the shorter deadline names itself once.
	nested := runner.WithTimeout(runner.WithTimeout(slowOp{}, time.Hour), 50*time.Millisecond)
	if err := nested.Op(context.Background(), 0); err == nil || err.Error() != "op timed out after 50ms" {
		t.Errorf("nested = %v, want op timed out after 50ms", err)
	}
	if _, ok := nested.(interface{ String() string }); ok {
		t.Error("a target without String got one")
	}
	if runner.WithTimeout(slowOp{}, 0) != (slowOp{}) {
		t.Error("a zero timeout did not return the target as it is")
	}
}

// slowOp has no String method.
type slowOp struct{}

func (slowOp) Op(ctx context.Context, _ int) error {
	<-ctx.Done()
	return ctx.Err()
}
