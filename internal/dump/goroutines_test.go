package dump

import (
	"bytes"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestParseGoroutinesGroupsByCreationSite(t *testing.T) {
	f, err := os.Open("testdata/goroutines/pprof-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ParseGoroutines("pprof-debug2.txt", f)
	if err != nil {
		t.Fatal(err)
	}
	// Ten waiters from one go statement, and main with no creator.
	if d.Total != 11 || len(d.Sites) != 2 {
		t.Fatalf("total %d, sites %v", d.Total, keys(d.Sites))
	}
	w := d.Sites["main.main main.go:38"]
	if w == nil || w.Count != 10 || w.Creator.Func != "main.main" || w.Creator.Line != 38 {
		t.Fatalf("waiters = %+v", w)
	}
	if len(w.Stack) != 1 || !strings.HasPrefix(w.Stack[0], "main.waiter\n\t") || !strings.HasSuffix(w.Stack[0], "gendumps/main.go:27") {
		t.Errorf("waiter stack = %q", w.Stack)
	}
	if m := d.Sites["main.main main.go:43"]; m == nil || m.Count != 1 {
		t.Errorf("main goroutine (no creator, by its outermost frame) = %+v; sites %v", m, keys(d.Sites))
	}
}

func TestParseGoroutinesCrashTraceback(t *testing.T) {
	b, err := os.ReadFile("testdata/goroutines/crash.txt")
	if err != nil {
		t.Fatal(err)
	}
	// A crash prints "panic: …" first: the dump starts at the first header.
	i := bytes.Index(b, []byte("goroutine "))
	d, err := ParseGoroutines("crash.txt", bytes.NewReader(b[i:]))
	if err != nil {
		t.Fatal(err)
	}
	s := d.Sites["main.(*Server).Serve server.go:61"]
	if s == nil || s.Count != 1 || len(s.Stack) != 1 || s.Stack[0] != "main.(*Server).handle\n\t/srv/app/server.go:88" {
		t.Fatalf("sites %v, Serve %+v", keys(d.Sites), s)
	}
}

func TestParseGoroutinesOfThisProcess(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	for i := 0; i < 7; i++ {
		go func() { <-block }()
	}
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 2); err != nil {
		t.Fatal(err)
	}
	d, err := ParseGoroutines("live", &buf)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for site, s := range d.Sites {
		if strings.HasPrefix(site, "dump.TestParseGoroutinesOfThisProcess goroutines_test.go:") && s.Count == 7 {
			found = true
		}
	}
	if !found {
		t.Errorf("no site with the 7 goroutines started here: %v", keys(d.Sites))
	}
}

func TestParseGoroutinesNamesFileAndLine(t *testing.T) {
	for in, want := range map[string]string{
		"hello\n": "g.txt:1: \"hello\" is outside any goroutine block",
		"goroutine x [running]:\nmain.f()\n\t/a.go:1\n":                            "g.txt:1: goroutine header \"goroutine x [running]:\": id \"x\" is not a number",
		"goroutine 1 running\n":                                                    "g.txt:1: goroutine header",
		"goroutine 1 [running]:\nmain.f()\nmain.g()\n":                             "g.txt:3: want a tab and file:line after \"main.f\"",
		"goroutine 1 [running]:\nmain.f()\n\t/a.go:x +0x1\n":                       "g.txt:3: location \"/a.go:x\": line \"x\" is not a number",
		"goroutine 1 [running]:\nmain.f()\n\n":                                     "g.txt:3: function \"main.f\" has no file:line after it",
		"goroutine 1 [running]:\nmain.f()\n":                                       "g.txt:2: function \"main.f\" has no file:line after it",
		"\n\n":                                                                     "g.txt: no goroutines",
		"goroutine 1 [running]:\nmain.f(" + strings.Repeat("0x1, ", 1<<20) + ")\n": "g.txt:2: a line over 4 MiB",
	} {
		_, err := ParseGoroutines("g.txt", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

// renderGoroutines writes a dump back in debug=2 form, for the round trip.
func renderGoroutines(d *GoroutineDump) string {
	var b strings.Builder
	id := 1
	for _, site := range keys(d.Sites) {
		s := d.Sites[site]
		for i := 0; i < s.Count; i++ {
			fmt.Fprintf(&b, "goroutine %d [select]:\n", id)
			id++
			for _, f := range s.Stack {
				fn, loc, _ := strings.Cut(f, "\n\t")
				fmt.Fprintf(&b, "%s(...)\n\t%s +0x1\n", fn, loc)
			}
			fmt.Fprintf(&b, "created by %s in goroutine 1\n\t%s:%d +0x2\n\n", s.Creator.Func, s.Creator.File, s.Creator.Line)
		}
	}
	return b.String()
}

func TestParseGoroutinesRoundTrip(t *testing.T) {
	b, err := os.ReadFile("testdata/goroutines/pprof-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseGoroutines("a", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	delete(d.Sites, "main.main main.go:43") // no creator to write back
	d2, err := ParseGoroutines("b", strings.NewReader(renderGoroutines(d)))
	if err != nil {
		t.Fatal(err)
	}
	for site, s := range d.Sites {
		if s2 := d2.Sites[site]; s2 == nil || s2.Count != s.Count || fmt.Sprint(s2.Stack) != fmt.Sprint(s.Stack) {
			t.Errorf("%s: %+v, then %+v", site, s, s2)
		}
	}
}

func FuzzParseGoroutines(f *testing.F) {
	for _, p := range []string{"testdata/goroutines/pprof-debug2.txt", "testdata/goroutines/crash.txt", "testdata/goroutines/goroutineleak-debug2.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseGoroutines("fuzz.txt", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		n := 0
		for _, s := range d.Sites {
			n += s.Count
		}
		if n != d.Total {
			t.Fatalf("sites count %d goroutines, total says %d", n, d.Total)
		}
		for site, s := range d.Sites {
			if s.Count < 1 || site != s.Creator.Site() {
				t.Fatalf("site %q: %+v", site, s)
			}
		}
		// The leaked ones are some of them, each counted once by stack.
		l, err := ParseLeakedGoroutines("fuzz.txt", strings.NewReader(in))
		if err != nil || l.Total > d.Total {
			t.Fatalf("leaked: %v, %d of %d", err, l.Total, d.Total)
		}
		if len(l.IDs) != d.Total {
			t.Fatalf("%d ids of %d goroutines", len(l.IDs), d.Total)
		}
		for site, s := range l.Sites {
			if len(s.Leaked) != s.Count || d.Sites[site] == nil || d.Sites[site].Count < s.Count || strings.Contains(s.Wait, "(leaked)") {
				t.Fatalf("leaked site %q: %+v (all: %+v)", site, s, d.Sites[site])
			}
			for _, g := range s.Leaked {
				if _, ok := s.Stacks[g.Key]; !ok {
					t.Fatalf("leaked site %q: goroutine %+v has no stack", site, g)
				}
				Label(g.Labels, "leakslope.run") // never panics
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestParseLeakedGoroutines reads a real /debug/pprof/goroutineleak?debug=2
// of Go 1.27 (testdata/goroutines/goroutineleak-main.go.txt made it, with
// GODEBUG=tracebacklabels=1: labels after the state): the goroutines the
// detection marked leaked, by creation site, with what they wait on; not
// those that wait on what the process still holds (a channel in a
// package variable, a mutex main holds).
func TestParseLeakedGoroutines(t *testing.T) {
	f, err := os.Open("testdata/goroutines/goroutineleak-debug2.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ParseLeakedGoroutines("goroutineleak-debug2.txt", f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Total != 4 || len(d.Sites) != 2 {
		t.Fatalf("total %d, sites %v", d.Total, keys(d.Sites))
	}
	for site, want := range map[string]struct{ wait, top string }{
		"main.serve main.go:14": {"chan receive", "main.serve.func1\n\tgl/main.go:16"},
		"main.serve main.go:20": {"sync.WaitGroup.Wait", "sync.runtime_SemacquireWaitGroup\n\truntime/sema.go:"},
	} {
		s := d.Sites[site]
		if s == nil || s.Count != 2 || s.Wait != want.wait || len(s.Stack) == 0 || !strings.HasPrefix(s.Stack[0], want.top) {
			t.Errorf("%s: %+v, want 2 waiting on %s at %q", site, s, want.wait, want.top)
			continue
		}
		// Both goroutines of a site have one stack: one key, twice, with
		// their ids and waits.
		if len(s.Stacks) != 1 || len(s.Leaked) != 2 || s.Leaked[0].Key != s.Leaked[1].Key || s.Leaked[0].ID == s.Leaked[1].ID ||
			s.Leaked[0].Wait != want.wait || strings.Contains(s.Leaked[0].Key, "runtime.") || s.Stacks[s.Leaked[0].Key] == nil {
			t.Errorf("%s: leaked %+v, stacks %v", site, s.Leaked, s.Stacks)
		}
	}
	// One goroutine of each site ran under labels, which the traceback
	// printed; the other under none.
	for _, site := range []string{"main.serve main.go:14", "main.serve main.go:20"} {
		var runs []string
		for _, g := range d.Sites[site].Leaked {
			run, _ := Label(g.Labels, "leakslope.run")
			handler, _ := Label(g.Labels, "handler")
			runs = append(runs, run+" "+handler)
		}
		slices.Sort(runs)
		if strings.Join(runs, "|") != " |7 /x y" {
			t.Errorf("%s: labels %q", site, runs)
		}
	}
	// All goroutines, leaked or not, as ParseGoroutines reads them: the
	// labels after the state are no error.
	f.Seek(0, 0)
	all, err := ParseGoroutines("goroutineleak-debug2.txt", f)
	if err != nil || all.Total != 9 {
		t.Fatalf("ParseGoroutines: %v, %d goroutines, want 9", err, all.Total)
	}
	if all.Sites["main.serve main.go:14"].Wait != "chan receive (leaked)" && all.Sites["main.serve main.go:14"].Wait != "chan receive" {
		t.Errorf("wait %q", all.Sites["main.serve main.go:14"].Wait)
	}
}

// TestParseLeakedGoroutinesNone: a dump with no goroutine marked leaked
// has no sites and is no error; one with no goroutine at all is.
func TestParseLeakedGoroutinesNone(t *testing.T) {
	d, err := ParseLeakedGoroutines("x", strings.NewReader("goroutine 1 [running]:\nmain.main()\n\t/a/main.go:3 +0x1\n"))
	if err != nil || d.Total != 0 || len(d.Sites) != 0 {
		t.Errorf("= %+v, %v", d, err)
	}
	if _, err := ParseLeakedGoroutines("x", strings.NewReader("")); err == nil || !strings.HasPrefix(err.Error(), "x: no goroutines") {
		t.Errorf("empty: %v", err)
	}
}

func TestGoroutineHeader(t *testing.T) {
	for h, want := range map[string]string{
		"goroutine 7 [chan receive]:":                                    "chan receive",
		"goroutine 7 [chan receive (leaked)]:":                           "chan receive (leaked)",
		"goroutine 7 [select, 5 minutes, locked to thread]:":             "select, 5 minutes, locked to thread",
		`goroutine 7 [chan receive (leaked)] {handler: "/x y", run: 7}:`: "chan receive (leaked)",
		"goroutine 1 gp=0xc000002380 m=0 mp=0x5a3c40 [running]:":         "running",
		"goroutine x [running]:":                                         "",
		"goroutine 7 [running] junk:":                                    "",
		"goroutine 7 running:":                                           "",
	} {
		got, ok := goroutineHeader(h)
		if got != want || ok != (want != "") {
			t.Errorf("goroutineHeader(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
	for labels, want := range map[string]string{
		`leakslope.run: 7`:                           "7",
		`a: b, leakslope.run: 12`:                    "12",
		`"leakslope.run: 5": x, leakslope.run: 6`:    "6", // a quoted key is not the key
		`h: "a, leakslope.run: 9", leakslope.run: 3`: "3",
		`leakslope.run: "r 1"`:                       "r 1",
		`a: b`:                                       "",
		`a b`:                                        "",
		`leakslope.run: "unterminated`:               "",
		``:                                           "",
	} {
		if got, ok := Label(labels, "leakslope.run"); got != want || ok != (want != "") {
			t.Errorf("Label(%q) = %q, %v; want %q", labels, got, ok, want)
		}
	}
	if w := waitOf("chan receive (leaked), 5 minutes"); w != "chan receive" {
		t.Errorf("waitOf = %q", w)
	}
}
