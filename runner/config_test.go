package runner_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/leakslope/leakslope/runner"
)

// The hammer's limits are checked here once, and the error names the
// field so that leaktest and the CLI can name their option or flag.
func TestConfigValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		cfg   runner.Config
		field string
		msg   string
	}{
		{runner.Config{Workers: -1}, "Workers", "runner: Workers = -1, want 1 to 10,000 (0: the default, 4)"},
		{runner.Config{Workers: runner.MaxWorkers + 1}, "Workers", "runner: Workers = 10001, want 1 to 10,000 (0: the default, 4)"},
		{runner.Config{Jobs: -5}, "Jobs", "runner: Jobs = -5, want 1 to 10,000,000 (0: the default, 100)"},
		{runner.Config{Wait: 2 * time.Hour}, "Wait", "runner: Wait = 2h0m0s, want 0 to 1h0m0s"},
		{runner.Config{Grace: -time.Second}, "Grace", "runner: Grace = -1s, want ≥ 0 (0: the default, 10s)"},
		{runner.Config{KeepErrors: -1}, "KeepErrors", "runner: KeepErrors = -1, want ≥ 0 (0: the default, 5)"},
	} {
		err := c.cfg.Validate()
		var fe *runner.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || err.Error() != c.msg {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.msg)
		}
		if _, err := runner.New(runner.Func(nil), c.cfg); !errors.As(err, &fe) {
			t.Errorf("New(%+v) = %v, want the field error", c.cfg, err)
		}
	}
	for _, ok := range []runner.Config{{}, {Workers: runner.MaxWorkers, Jobs: runner.MaxJobs, Wait: runner.MaxWait}, {Stall: -1}} {
		if err := ok.Validate(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

// An HTTP target that every request would fail on is refused before it
// runs, naming what is wrong; its secrets stay out of the message.
func TestHTTPTargetIsValidatedFirst(t *testing.T) {
	for _, c := range []struct {
		target runner.Target
		field  string
		msg    string
	}{
		{runner.HTTP("G ET", "http://127.0.0.1/"), "Method", `runner: Method = "G ET", want an HTTP method token: GET, POST, PUT, …`},
		{runner.HTTP("GET", "127.0.0.1:80/x?token=abc"), "URL", `runner: URL = "127.0.0.1:80/x?token=REDACTED", want http(s)://HOST[:PORT]/PATH`},
		{runner.HTTP("GET", "ftp://u:pw@host/x"), "URL", `runner: URL = "ftp://u:REDACTED@host/x", want http(s)://HOST[:PORT]/PATH`},
		{runner.HTTP("GET", "http://127.0.0.1/", runner.Header("X-A", "b\r\nX-Injected: 1")), "Header", `runner: Header = X-A (a CR at byte 1 of its value), want a value with no CR, LF or NUL`},
		{runner.HTTP("GET", "http://127.0.0.1/", runner.Header("X A", "b")), "Header", `runner: Header = "X A", want a header name of token characters`},
	} {
		err := runner.Validate(c.target)
		var fe *runner.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || err.Error() != c.msg {
			t.Errorf("%v, want %q", err, c.msg)
		}
		if _, err := runner.New(c.target, runner.Config{}); !errors.As(err, &fe) {
			t.Errorf("New: %v, want the field error", err)
		}
	}
	if err := runner.Validate(runner.HTTP("PATCH", "https://127.0.0.1:8443/x", runner.Header("Authorization", "Bearer x"))); err != nil {
		t.Errorf("a good target: %v", err)
	}
	if s := fmt.Sprint(runner.HTTP("GET", "http://u:pw@127.0.0.1/x?access_token=t&n=1")); s != "GET http://u:REDACTED@127.0.0.1/x?access_token=REDACTED&n=1" {
		t.Errorf("String() = %q", s)
	}
}

// A command's stderr is kept to its end only: an endless one costs 4 KiB.
func TestCommandKeepsTheEndOfStderr(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := runner.Command("sh", "-c", "head -c 50000000 /dev/zero | tr '\\0' x >&2; echo THE-END >&2; exit 3").Op(context.Background(), 0)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.HasSuffix(err.Error(), "xxxxTHE-END") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("err = %.300v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
		t.Errorf("allocated %d MiB for 50 MB of stderr", d>>20)
	}
}
