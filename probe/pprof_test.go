package probe_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"os/exec"
	"runtime"
	rpprof "runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/pprof/profile"

	"github.com/leakslope/leakslope/internal/leakprofile"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
)

// pprofServer serves this process's net/http/pprof handlers, with heap
// replaced by heap when it is not nil: a service whose handler is not the
// standard one.
func pprofServer(t *testing.T, heap http.HandlerFunc) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	if heap != nil {
		mux.HandleFunc("/debug/pprof/heap", heap)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/debug/pprof"
}

// fresh runs the calling test again in a child process of its own, and
// reports whether this is that child. These tests read this process's
// heap profile as text over HTTP; after the exact runs of other tests it
// holds every stack they recorded, and one read takes seconds (a minute
// under -race). A fresh process has only its sampled few.
func fresh(t *testing.T) bool {
	t.Helper()
	if os.Getenv("LEAKSLOPE_FRESH") == t.Name() {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), "LEAKSLOPE_FRESH="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("in a fresh process: %v\n%s", err, out)
	}
	return false
}

func heapTotal(s []leaktest.Sample) (float64, bool) {
	for _, x := range s {
		if x.Symbol == leaktest.SymRuntimeHeapBytes {
			return x.Value, true
		}
	}
	return 0, false
}

// The heap total is the service's HeapAlloc right after the forced
// collection: what it holds, exactly.
func TestPprofProbeReadsTheHeapTotal(t *testing.T) {
	if !fresh(t) {
		return
	}
	base := pprofServer(t, nil)
	p := probe.Pprof(base)
	take := func() float64 {
		s, err := p.Take(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		v, ok := heapTotal(s)
		if !ok {
			t.Fatalf("no %s in %d samples", leaktest.SymRuntimeHeapBytes, len(s))
		}
		return v
	}
	// The service is this process, so its heap holds the probe's last
	// profile too: take one first, so that both snapshots below hold one.
	take()
	before := take()
	served.Lock()
	served.kept = append(served.kept, make([]byte, 8<<20))
	served.Unlock()
	defer func() { served.Lock(); served.kept = nil; served.Unlock() }()
	after := take()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	// 8 MiB more, exactly but for what the test and the probe allocated
	// around it (the sampled sites would see it only as a scaled guess).
	if d := after - before; d < 8<<20-(256<<10) || d > 8<<20+(1<<20) {
		t.Errorf("runtime.heap.bytes %v → %v: grew %v, want 8 MiB", before, after, d)
	}
	if after < 8<<20 || after > float64(m.HeapAlloc)+(8<<20) {
		t.Errorf("runtime.heap.bytes %v, this process's HeapAlloc %d", after, m.HeapAlloc)
	}
}

// A handler that is not the standard one may give no runtime.MemStats
// (here: the proto whatever debug says): the probe goes on with the
// sampled sites, says why there is no heap total, and writes the proto
// as it came.
func TestPprofProbeWithoutMemStats(t *testing.T) {
	if !fresh(t) {
		return
	}
	base := pprofServer(t, func(w http.ResponseWriter, r *http.Request) {
		runtime.GC()
		rpprof.Lookup("heap").WriteTo(w, 0)
	})
	p := probe.Pprof(base)
	for i := 0; i < 2; i++ {
		s, err := p.Take(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := heapTotal(s); ok {
			t.Fatalf("a heap total from a handler that gave none: %v", v)
		}
		if i == 0 {
			p.(leaktest.Profiler).KeepFirst()
		}
	}
	want := base + "/heap?gc=1&debug=1: no runtime.MemStats trailer"
	found := false
	for _, w := range p.(leaktest.Warner).Warnings(&leaktest.Report{}) {
		found = found || strings.HasPrefix(w, want) && strings.Contains(w, "no runtime.heap.bytes from this service")
	}
	if !found {
		t.Errorf("no warning %q… in %q", want, p.(leaktest.Warner).Warnings(&leaktest.Report{}))
	}
	first, last := p.(leaktest.Profiler).Profiles()
	for _, b := range [][]byte{first, last} {
		if _, err := profile.ParseData(b); err != nil || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("profile: %v", err)
		}
	}
}

// The first/last profiles, read from the legacy text form, are written as
// gzipped protos with their functions named; a run writes them as its
// artifacts.
func TestPprofProbeWritesProtoProfiles(t *testing.T) {
	if !fresh(t) {
		return
	}
	base := pprofServer(t, nil)
	served.Lock()
	served.kept = append(served.kept, make([]byte, 4<<20)) // over the sampling period: always sampled
	served.Unlock()
	defer func() { served.Lock(); served.kept = nil; served.Unlock() }()
	p := probe.Pprof(base)
	for i := 0; i < 2; i++ {
		if _, err := p.Take(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			p.(leaktest.Profiler).KeepFirst()
		}
	}
	first, last := p.(leaktest.Profiler).Profiles()
	for k, b := range map[string][]byte{"first": first, "last": last} {
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Fatalf("%s is not gzipped: % x", k, b[:min(4, len(b))])
		}
		p, err := profile.ParseData(b)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		named := false
		for _, fn := range p.Function {
			named = named || strings.HasSuffix(fn.Name, "/probe_test.TestPprofProbeWritesProtoProfiles") && strings.HasSuffix(fn.Filename, "pprof_test.go")
		}
		if !named || p.Period != int64(runtime.MemProfileRate) || len(p.SampleType) != 4 || p.TimeNanos == 0 {
			t.Errorf("%s: this test named %v, period %d, %d sample types, time %d", k, named, p.Period, len(p.SampleType), p.TimeNanos)
		}
	}
	if bytes.Equal(first, last) {
		t.Error("the first profile is the last")
	}
}

// A response over the bound, and a runtime.MemStats trailer that does not
// parse, fail the snapshot with an error naming the URL.
func TestPprofProbeRejectsTooLargeOrMalformed(t *testing.T) {
	if !fresh(t) {
		return
	}
	base := pprofServer(t, nil)
	_, err := probe.Pprof(base, probe.MaxResponse(1<<10)).Take(context.Background())
	// The proto of a fresh process may fit; its text form does not.
	if err == nil || !strings.Contains(err.Error(), "GET "+base+"/heap?gc=1") || !strings.Contains(err.Error(), ": the response is over the 1 KiB limit") {
		t.Errorf("over the limit: %v", err)
	}
	bad := pprofServer(t, func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		rpprof.Lookup("heap").WriteTo(&buf, 1)
		w.Write(bytes.Replace(buf.Bytes(), []byte("# HeapAlloc = "), []byte("# HeapAlloc = many"), 1))
	})
	_, err = probe.Pprof(bad).Take(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), bad+"/heap?gc=1&debug=1:") || !strings.Contains(err.Error(), `runtime.MemStats HeapAlloc: "many`) {
		t.Errorf("malformed trailer: %v", err)
	}
}

// A hostile endpoint cannot make the probe read more than its bound: an
// endless response, a gzip bomb as the profile, and a gzip bomb as the
// response's Content-Encoding each fail the snapshot with an error naming
// the URL and the bound, having allocated about the bound, not what the
// server sends or what it inflates to.
func TestPprofProbeBoundsHostileResponses(t *testing.T) {
	const limit = 8 << 20
	// 256 MiB of zeros in about 256 KiB: one gzip member of 1 MiB,
	// repeated (a reader inflates concatenated members as one stream).
	var member, bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	zw.Write(zeros)
	zw.Close()
	for i := 0; i < 256; i++ {
		bomb.Write(member.Bytes())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/endless/heap", func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil {
			if _, err := w.Write(zeros); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/bomb/heap", func(w http.ResponseWriter, r *http.Request) { w.Write(bomb.Bytes()) })
	mux.HandleFunc("/encoded/heap", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, c := range []struct{ path, want string }{
		{"/endless", "/heap?gc=1: the response is over the 8 MiB limit of a pprof response"},
		{"/bomb", "/heap?gc=1&debug=1 inflates to over the 8 MiB limit of an input"},
		{"/encoded", "/heap?gc=1: the response is over the 8 MiB limit of a pprof response"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := probe.Pprof(srv.URL+c.path, probe.MaxResponse(limit)).Take(context.Background())
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), srv.URL+c.path+c.want) {
			t.Errorf("%s: %v, want …%s", c.path, err, c.want)
		}
		// Reading to the bound doubles a buffer a few times: a small
		// multiple of it, never the 256 MiB.
		if d := after.TotalAlloc - before.TotalAlloc; d > 8*limit {
			t.Errorf("%s: allocated %d MiB for a bound of 8 MiB", c.path, d>>20)
		}
	}
}

var served struct {
	sync.Mutex
	kept [][]byte
}

func TestPprofProbeReadsARemoteService(t *testing.T) {
	if !fresh(t) {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	block := make(chan struct{})
	defer close(block)
	for i := 0; i < 3; i++ {
		go func() { <-block }()
	}
	// An allocation over the sampling period is always sampled.
	served.Lock()
	served.kept = append(served.kept, make([]byte, 4<<20))
	served.Unlock()
	defer func() { served.Lock(); served.kept = nil; served.Unlock() }()
	p := probe.Pprof(srv.URL + "/debug/pprof/")
	s, err := p.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var goroutines, heap int
	for _, x := range s {
		switch {
		case strings.HasPrefix(string(x.Symbol), "goroutines:probe_test.TestPprofProbeReadsARemoteService pprof_test.go:"):
			goroutines += int(x.Value)
		case strings.HasPrefix(string(x.Symbol), "heap.bytes:probe_test.TestPprofProbeReadsARemoteService pprof_test.go:"):
			heap += int(x.Value)
		}
	}
	if goroutines != 3 || heap < 4<<20 {
		t.Errorf("goroutines from this test %d (want 3), heap bytes kept here %d (want ≥ 4 MiB)", goroutines, heap)
	}
	d, ok := p.(leaktest.Describer)
	if !ok {
		t.Fatal("not a Describer")
	}
	for _, x := range s {
		if x.Symbol.Kind() == leaktest.KindGoroutines && strings.Contains(string(x.Symbol), "TestPprofProbe") {
			o, ok := d.Describe(x.Symbol)
			if !ok || o.Func != "probe_test.TestPprofProbeReadsARemoteService" || !strings.HasPrefix(o.Site, "pprof_test.go:") || len(o.Stack) == 0 || !o.UserCode {
				t.Errorf("describe = %+v %v", o, ok)
			}
		}
	}
	srv.Close()
	if _, err := p.Take(context.Background()); err == nil || !strings.Contains(err.Error(), "the endpoint is not answering") || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("closed endpoint: err = %v", err)
	}
	if _, err := probe.Pprof(srv.URL + "/nope").Take(context.Background()); err == nil {
		t.Error("no error from a bad base URL")
	}
}

// TestPprofProbeBlocked: probe.Pprof reads a Go 1.27 service's
// /goroutineleak?debug=2, which runs the runtime's goroutine leak
// detection: the goroutines blocked forever, by creation site, with what
// they wait on and where, and none of those that wait on what the
// service still holds.
func TestPprofProbeBlocked(t *testing.T) {
	leakprofile.Need(t)
	if !fresh(t) {
		return // the marks stay for the process's life: a process of its own
	}
	url := pprofServer(t, nil)
	hold := make(chan struct{})
	defer close(hold)
	for range 2 {
		go func() { <-hold }() // held: not blocked forever
	}
	for range 3 {
		go func() {
			ch := make(chan int)
			<-ch
		}()
	}
	time.Sleep(50 * time.Millisecond)
	got, err := probe.Pprof(url).(leaktest.Blocker).Blocked(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("blocked %v: want one site", got)
	}
	for sym, b := range got {
		if !strings.HasPrefix(string(sym), "goroutines:probe_test.TestPprofProbeBlocked pprof_test.go:") || b.Goroutines != 3 || b.Labeled != 0 || b.Wait != "chan receive" ||
			len(b.Stack) == 0 || !strings.HasPrefix(b.Stack[0], "github.com/leakslope/leakslope/probe_test.TestPprofProbeBlocked.func") {
			t.Errorf("%s: %+v", sym, b)
		}
	}
}

// TestPprofProbeBlockedOlderService: a service built with a Go older than
// 1.27 answers /goroutineleak with 404, as net/http/pprof does for a
// profile it does not have: no answer, no error, and a warning.
func TestPprofProbeBlockedOlderService(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/goroutineleak", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Unknown profile", http.StatusNotFound) // net/http/pprof's words
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	p := probe.Pprof(srv.URL + "/debug/pprof")
	got, err := p.(leaktest.Blocker).Blocked(context.Background(), "1")
	if err != nil || got != nil {
		t.Fatalf("Blocked = %v, %v; want nothing", got, err)
	}
	w := p.(leaktest.Warner).Warnings(&leaktest.Report{})
	if len(w) != 1 || !strings.Contains(w[0], "/goroutineleak: 404: the service's Go has no goroutine leak profile (Go 1.27 has)") {
		t.Errorf("warnings %q", w)
	}
}
