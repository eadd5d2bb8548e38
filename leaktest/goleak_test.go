package leaktest_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

func parkForever(stop chan struct{}) { <-stop }

// Three goroutines left behind during warm-up: no slope for the trend to
// see, but goleak's end check does.
func threeLeft(stop chan struct{}) runner.Target {
	return runner.Func(func(_ context.Context, i int) error {
		if i < 3 {
			go parkForever(stop)
		}
		return nil
	})
}

func TestVerifyNoneCatchesGoroutinesLeftBehind(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	rep, err := leaktest.Run(context.Background(), threeLeft(stop), leaktest.VerifyNone(), leaktest.Name("goleak-left"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Leaks()) != 0 {
		t.Errorf("the trend should see no slope in 3 goroutines:\n%s", rep)
	}
	if !rep.Failed() || !strings.Contains(rep.Goleak, "leaktest_test.parkForever") {
		t.Fatalf("goleak did not report the parked goroutines: %q", rep.Goleak)
	}
	msg := rep.String()
	for _, want := range []string{"goroutines left behind after ", "goroutines alive after teardown that were not before the run (goleak):", "parkForever"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
}

func TestVerifyNoneAfterTeardownPasses(t *testing.T) {
	stop := make(chan struct{})
	rep, err := leaktest.Run(context.Background(), threeLeft(stop), leaktest.VerifyNone(), leaktest.Teardown(func() { close(stop) }))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || rep.Goleak != "" {
		t.Errorf("teardown released the goroutines, yet:\n%s", rep)
	}
}

func TestVerifyNonePassesGoleakOptionsThrough(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	rep, err := leaktest.Run(context.Background(), threeLeft(stop),
		leaktest.VerifyNone(goleak.IgnoreTopFunction("github.com/leakslope/leakslope/leaktest_test.parkForever")))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Goleak != "" {
		t.Errorf("IgnoreTopFunction did not pass through: %s", rep.Goleak)
	}
}
