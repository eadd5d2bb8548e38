package runner_test

import (
	"errors"
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
