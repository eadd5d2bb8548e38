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
			case <-time.After(2 * time.Second):
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
	if n := conns.Load(); n > 4 {
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
	// A timeout is an op error; the context stops a slow op too.
	start := time.Now()
	err = runner.HTTP("POST", srv.URL+"/slow", append(opts, runner.Timeout(100*time.Millisecond))...).Op(context.Background(), 0)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
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
	if err := runner.Command("sleep", "10").Op(ctx, 0); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("the context did not kill the process: %v after %v", err, time.Since(start))
	}
}
