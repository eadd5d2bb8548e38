package dump

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// servePprof serves this process's net/http/pprof handlers, as a Go
// service mounts them.
func servePprof(t testing.TB) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/debug/pprof"
}

func get(t testing.TB, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %s", url, err, resp.Status)
	}
	return b
}

var held [][]byte

//go:noinline
func holdSome(n, size int) {
	for i := 0; i < n; i++ {
		held = append(held, make([]byte, size))
	}
}

func TestParseMemStatsOfARealService(t *testing.T) {
	base := servePprof(t)
	holdSome(64, 64<<10) // 4 MiB, live across the GC gc=1 forces
	defer func() { held = nil }()
	body := get(t, base+"/heap?gc=1&debug=1")
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := ParseMemStats("heap?debug=1", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if m.HeapAlloc != m.Alloc || m.HeapAlloc < 4<<20 || m.HeapAlloc > before.HeapAlloc+(1<<20) {
		t.Errorf("HeapAlloc %d, Alloc %d; want the same, ≥ 4 MiB held here, about this process's %d", m.HeapAlloc, m.Alloc, before.HeapAlloc)
	}
	if m.NumGC == 0 || m.NumForcedGC == 0 || m.HeapObjects == 0 || m.StackInuse == 0 || m.StackSys < m.StackInuse ||
		m.HeapSys < m.HeapInuse || m.TotalAlloc < m.HeapAlloc || m.Mallocs < m.Frees || m.Sys < m.HeapSys {
		t.Errorf("memstats = %+v", m)
	}
	lines := strings.Split(string(body), "\n")
	if m.Line < 1 || m.Line > len(lines) || lines[m.Line-1] != "# runtime.MemStats" {
		t.Errorf("line %d is not the trailer's", m.Line)
	}
	// The proto form has no trailer: an error the caller can tell.
	_, err = ParseMemStats("heap", bytes.NewReader(get(t, base+"/heap")))
	if !errors.Is(err, ErrNoMemStats) || !strings.HasPrefix(err.Error(), "heap: no runtime.MemStats trailer") {
		t.Errorf("proto: err = %v", err)
	}
}

func TestParseMemStatsRejectsMalformed(t *testing.T) {
	body := string(get(t, servePprof(t)+"/heap?debug=1"))
	trailer := strings.Index(body, "# runtime.MemStats\n")
	if trailer < 0 {
		t.Fatalf("no trailer in:\n%s", body)
	}
	line := strings.Count(body[:trailer], "\n") + 1 // of "# runtime.MemStats"
	for _, tc := range []struct {
		old, new string
		at       int // lines after the trailer's first
		want     string
	}{
		{"# HeapAlloc = ", "# HeapAlloc = -", 7, "runtime.MemStats HeapAlloc: \"-"},
		{"# Alloc = ", "# Alloc = 12x", 1, "runtime.MemStats Alloc: \"12x"},
		{" / ", " | ", 13, "runtime.MemStats Stack: want \"INUSE / SYS\""},
		{"# PauseNs = [", "# PauseNs = [x ", 21, "runtime.MemStats PauseNs: \"x\""},
		{"# GCCPUFraction = ", "# GCCPUFraction = NaN", 25, "is not a number"},
		{"# DebugGC = ", "# DebugGC = maybe", 26, "is not true or false"},
		{"# Sys = ", "# Sys: ", 3, `want "# Name = value"`},
		{"# HeapAlloc = ", "# HeapAllocated = ", 0, "the runtime.MemStats trailer has no HeapAlloc"},
	} {
		bad := body[:trailer] + strings.Replace(body[trailer:], tc.old, tc.new, 1)
		_, err := ParseMemStats("svc/heap", strings.NewReader(bad))
		prefix := "svc/heap:" + strconv.Itoa(line+tc.at) + ": "
		if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q…%q", tc.new, err, prefix, tc.want)
		}
	}
	// A trailer line longer than any real one, and a profile record
	// longer than the reader's buffer (skipped, not held).
	long := strings.Repeat("0x1 ", 40<<10)
	if _, err := ParseMemStats("x", strings.NewReader("# runtime.MemStats\n# PauseNs = ["+long+"]\n")); err == nil || !strings.HasPrefix(err.Error(), "x:2: a runtime.MemStats line over") {
		t.Errorf("long line: %v", err)
	}
	m, err := ParseMemStats("x", strings.NewReader("1: 2 [3: 4] @ "+long+"\n"+body[trailer:]))
	if err != nil || m.Line != 2 || m.HeapAlloc == 0 {
		t.Errorf("after a long record: %+v, %v", m, err)
	}
	// No trailer at all, and an empty body.
	for _, in := range []string{"", "heap profile: 0: 0 [0: 1] @ heap/1048576\n", "\x1f\x8b\x08"} {
		if _, err := ParseMemStats("y", strings.NewReader(in)); !errors.Is(err, ErrNoMemStats) {
			t.Errorf("%q: err = %v", in, err)
		}
	}
}

// The legacy text form of a heap profile gives the same sites, values and
// period as the proto form of the same profile, and writes as a valid
// gzipped proto again.
func TestParseHeapProfileLegacyTextMatchesProto(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 4096 // sampled (and so scaled), but densely
	defer func() { runtime.MemProfileRate = old }()
	base := servePprof(t)
	holdSome(200, 1000)
	holdSome(3, 1<<20)
	defer func() { held = nil }()
	// Neither form forces a collection, and none runs between the two:
	// both are the profile of the last one.
	runtime.GC()
	gcPercent := debug.SetGCPercent(-1)
	rawText, rawProto := get(t, base+"/heap?debug=1"), get(t, base+"/heap")
	debug.SetGCPercent(gcPercent)
	text, err := ParseHeapProfile("heap?debug=1", bytes.NewReader(rawText), 0)
	if err != nil {
		t.Fatal(err)
	}
	proto, err := ParseHeapProfile("heap", bytes.NewReader(rawProto), 0)
	if err != nil {
		t.Fatal(err)
	}
	if text.Period != 4096 || proto.Period != 4096 {
		t.Errorf("period: text %d, proto %d", text.Period, proto.Period)
	}
	if len(text.Sites) == 0 || len(text.Sites) != len(proto.Sites) {
		t.Errorf("%d sites from the text, %d from the proto", len(text.Sites), len(proto.Sites))
	}
	held := 0
	for name, p := range proto.Sites {
		s := text.Sites[name]
		if s == nil {
			t.Errorf("site %s not in the text", name)
			continue
		}
		if s.Bytes != p.Bytes || s.Objects != p.Objects || s.Charged != p.Charged || s.Class != p.Class {
			t.Errorf("site %s: text %+v, proto %+v", name, s, p)
		}
		if strings.HasPrefix(name, "dump.holdSome memstats_test.go:") {
			held++
			if s.Bytes < 3<<20 || s.Objects < 100 || len(s.Frames) == 0 { // the 1 KB objects are sampled
				t.Errorf("holdSome: %+v", s)
			}
		}
	}
	if held != 1 {
		t.Errorf("%d holdSome sites, want 1", held)
	}
	// Written anew: a gzipped proto that reads back to the same sites.
	b, err := text.Proto()
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Fatalf("proto: %v, % x", err, b[:min(len(b), 4)])
	}
	p, err := profile.ParseData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckValid(); err != nil || len(p.Function) == 0 || p.Period != 4096 {
		t.Errorf("written profile: %v, %d functions, period %d", err, len(p.Function), p.Period)
	}
	again, err := ParseHeapProfile("again", bytes.NewReader(b), 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range text.Sites {
		if a := again.Sites[name]; a == nil || a.Bytes != s.Bytes || a.Objects != s.Objects {
			t.Errorf("site %s written and read again: %+v, was %+v", name, a, s)
		}
	}
	if pb, _ := proto.Proto(); !bytes.Equal(pb, proto.Raw) {
		t.Error("a proto's Proto is not its raw bytes")
	}
}

func FuzzParseMemStats(f *testing.F) {
	body := get(f, servePprof(f)+"/heap?debug=1")
	f.Add(body)
	if i := bytes.Index(body, []byte("# runtime.MemStats")); i >= 0 {
		f.Add(body[i:])
	}
	b, err := os.ReadFile("testdata/pprof/heap.pb.gz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := ParseMemStats("fuzz.txt", bytes.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Errorf("error does not name the input: %v", err)
			}
			return
		}
		if m.Line < 1 || !bytes.Contains(in, []byte("# runtime.MemStats")) || !bytes.Contains(in, []byte("HeapAlloc")) {
			t.Errorf("a trailer from %q: %+v", in, m)
		}
	})
}
