package stack

import (
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

func TestStdRootsMatchToolchain(t *testing.T) {
	out, err := exec.Command("go", "list", "std").Output()
	if err != nil {
		t.Skipf("go list std: %v (the toolchain is needed to check the list)", err)
	}
	roots := map[string]bool{}
	for _, pkg := range strings.Fields(string(out)) {
		root, _, _ := strings.Cut(pkg, "/")
		roots[root] = true
	}
	for root := range roots {
		if !stdRoots[root] {
			t.Errorf("std root %q missing from stdRoots", root)
		}
	}
	for root := range stdRoots {
		if !roots[root] {
			t.Errorf("stdRoots has %q, which go list std does not", root)
		}
	}
}

func TestPackage(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/a/b.(*T).M.func1":             "github.com/a/b",
		"github.com/a/b.v2/c.F":                   "github.com/a/b.v2/c",
		"fmt.Sprintf":                             "fmt",
		"internal/runtime/maps.(*table).grow":     "internal/runtime/maps",
		"main.handler":                            "main",
		"myservice/store.(*Store).Handle.func2.1": "myservice/store",
	} {
		if got := Package(fn); got != want {
			t.Errorf("Package(%q) = %q, want %q", fn, got, want)
		}
	}
}

func TestShortNameNamesClosuresByEnclosingFunction(t *testing.T) {
	for fn, want := range map[string]string{
		"github.com/a/store.(*S).Get":         "store.(*S).Get",
		"github.com/a/store.(*S).Get.func1":   "store.(*S).Get (closure)",
		"github.com/a/store.TestX.func2.1":    "store.TestX (closure)",
		"github.com/a/store.glob..func1":      "store (closure)",
		"github.com/a/store.init.func3":       "store.init (closure)",
		"github.com/a/store.functional":       "store.functional",
		"github.com/a/store.(*S).funcy.func1": "store.(*S).funcy (closure)",
	} {
		if got := ShortName(fn); got != want {
			t.Errorf("ShortName(%q) = %q, want %q", fn, got, want)
		}
	}
}

func TestIsStdAndIsOwn(t *testing.T) {
	if !IsStd("net/http") || !IsStd("internal/runtime/maps") || IsStd("myservice/store") || IsStd("main") || IsStd("github.com/x/y") {
		t.Error("IsStd misclassifies")
	}
	if !IsOwn(Module+"/leaktest") || !IsOwn(Module+"/probe") || IsOwn(Module+"/probe_test") || IsOwn(Module+"/prober") || !IsOwn(Module+"/internal/stats") || IsOwn(Module+"/leaktest_test") || IsOwn(Module+"/examples/cache") {
		t.Error("IsOwn misclassifies")
	}
}

func TestAttribute(t *testing.T) {
	f := func(fn string) Frame { return Frame{Func: fn, File: "/x/" + fn + ".go", Line: 7} }
	cases := []struct {
		stack []string
		want  string
		class Class
	}{
		{[]string{"runtime.mallocgc", "fmt.Sprintf", "example.com/app.handle", Module + "/runner.(*Hammer).work"}, "example.com/app.handle", User},
		{[]string{"runtime.mallocgc", "runtime.acquireSudog", "runtime.chansend", "example.com/app.handle"}, "runtime.acquireSudog", Runtime},
		{[]string{"runtime.mallocgc", "github.com/onsi/gomega/gleak/goroutine.parseStack", Module + "/leaktest.(*goroutineProbe).take", "example.com/app.TestX"}, Module + "/leaktest.(*goroutineProbe).take", Own},
		{[]string{"runtime.mallocgc", "bufio.NewReaderSize", "net/http.(*persistConn).readLoop"}, "bufio.NewReaderSize", Std},
		{[]string{"runtime.mallocgc", "internal/runtime/maps.newTable", "runtime.mapassign_faststr", "main.handler"}, "main.handler", User},
	}
	for _, c := range cases {
		var frames []Frame
		for _, fn := range c.stack {
			frames = append(frames, f(fn))
		}
		got, class := Attribute(frames)
		if got.Func != c.want || class != c.class {
			t.Errorf("Attribute(%v) = %s/%d, want %s/%d", c.stack, got.Func, class, c.want, c.class)
		}
	}
}

func TestFramesExpandsAndSites(t *testing.T) {
	pcs := make([]uintptr, 8)
	n := runtime.Callers(1, pcs)
	frames := Frames(pcs[:n])
	if len(frames) == 0 || !strings.HasSuffix(frames[0].Func, "TestFramesExpandsAndSites") {
		t.Fatalf("frames = %+v", frames)
	}
	if s := frames[0].Site(); !strings.HasPrefix(s, "stack.TestFramesExpandsAndSites stack_test.go:") {
		t.Errorf("Site = %q", s)
	}
}

func TestRuntimeOnlyStackIsRuntime(t *testing.T) {
	_, class := Attribute([]Frame{{Func: "runtime.mallocgc"}, {Func: "runtime.bgsweep"}})
	if class != Runtime {
		t.Errorf("class = %d, want Runtime", class)
	}
}
