package leaktest_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// fakeTB records what Check says, so tests can expect a failure.
type fakeTB struct {
	mu     sync.Mutex
	name   string
	errors []string
	logs   []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

var _ leaktest.TB = (*testing.T)(nil)
var _ leaktest.TB = (*testing.B)(nil)

type store struct {
	mu       sync.Mutex
	sessions map[string][]byte
}

func (s *store) Handle(_ context.Context, user string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[user] = make([]byte, 100) // LEAK store
	return nil
}

func TestCheckFailsTheTestWithTheMessage(t *testing.T) {
	st := &store{sessions: map[string][]byte{}}
	ft := &fakeTB{name: "TestSessionStoreDoesNotLeak"}
	rep := leaktest.Check(ft, runner.Func(func(ctx context.Context, i int) error {
		return st.Handle(ctx, fmt.Sprintf("user-%d", i))
	}))
	if len(ft.errors) != 1 {
		t.Fatalf("Check reported %d errors, want 1; logs: %v", len(ft.errors), ft.logs)
	}
	msg := ft.errors[0]
	site := ""
	for l := range markerLinesFile(t, "check_test.go", "store") {
		site = l
	}
	for _, want := range []string{
		"leaktest: TestSessionStoreDoesNotLeak: ",
		"heap.bytes:leaktest_test.(*store).Handle " + site,
		"slope   ", "B/op [", "/s; budget 0 B/op",
		"value   ",
		"allocated at",
		"github.com/leakslope/leakslope/leaktest_test.(*store).Handle\n",
		"go tool pprof -diff_base ",
		"first.pb.gz", "last.pb.gz", "report.json", "charts:   ", "report.html",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	// fmt.Sprintf's string is the key the map holds: it is charged to the
	// user line that called it, not to fmt.
	if strings.Contains(msg, "heap.bytes:fmt.") {
		t.Errorf("allocation charged to fmt instead of the user's line:\n%s", msg)
	}
	if rep == nil || !rep.Failed() || rep.Name != "TestSessionStoreDoesNotLeak" {
		t.Errorf("report = %+v", rep)
	}
}

func TestCheckPassSaysWhatWasRuledOut(t *testing.T) {
	ft := &fakeTB{name: "TestClean"}
	var mu sync.Mutex
	recent := make([]string, 16) // a ring: live, but bounded
	leaktest.Check(ft, runner.Func(func(_ context.Context, i int) error {
		s := fmt.Sprint(i)
		mu.Lock()
		recent[i%len(recent)] = s
		mu.Unlock()
		return nil
	}))
	if len(ft.errors) != 0 {
		t.Fatalf("clean target failed the test:\n%s", ft.errors)
	}
	if len(ft.logs) != 1 {
		t.Fatalf("logs = %v, want one pass message", ft.logs)
	}
	msg := ft.logs[0]
	if !regexp.MustCompile(`goroutines +no leak: none of the target's goroutines was alive at any snapshot`).MatchString(msg) {
		t.Errorf("pass message does not say goroutines were checked:\n%s", msg)
	}
	for _, want := range []string{"leaktest: TestClean: no leak in ", "heap.bytes", "no leak over 0 B/op", "largest slope not ruled out: 0 B/op", "heap.objects"} {
		if !strings.Contains(msg, want) {
			t.Errorf("pass message lacks %q:\n%s", want, msg)
		}
	}
}

func TestCheckWithRealTestingT(t *testing.T) {
	// A clean check inside a real test: it must not fail this test.
	rep := leaktest.Check(t, runner.Func(func(context.Context, int) error { return nil }))
	if rep.Failed() || rep.Stopped != leaktest.StopDecided {
		t.Errorf("stopped %q, failed %v", rep.Stopped, rep.Failed())
	}
}

func TestBadOptionFailsWithClearError(t *testing.T) {
	ft := &fakeTB{name: "TestBad"}
	rep := leaktest.Check(ft, runner.Func(func(context.Context, int) error { return nil }),
		leaktest.WithBudget("heap.bytes:* <= 1XB/op"), leaktest.Workers(-1))
	if rep != nil || len(ft.errors) != 1 {
		t.Fatalf("report %v, errors %v", rep, ft.errors)
	}
	for _, want := range []string{`budget "heap.bytes:* <= 1XB/op": column 18: unknown unit "XB"`, "leaktest.Workers(-1): want 1 to 10,000 (0: the default, 4)"} {
		if !strings.Contains(ft.errors[0], want) {
			t.Errorf("error lacks %q: %s", want, ft.errors[0])
		}
	}
}
