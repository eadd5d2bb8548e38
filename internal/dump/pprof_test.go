package dump

import (
	"bytes"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/stack"
)

var kept [][]byte

//go:noinline
func keepSome(n int) {
	for i := 0; i < n; i++ {
		kept = append(kept, make([]byte, 4096))
	}
}

func TestParseHeapProfileOfThisProcess(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	keepSome(100)
	runtime.GC()
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeapProfile("live", &buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h.Period != 1 || h.Time.IsZero() {
		t.Errorf("period %d, time %v", h.Period, h.Time)
	}
	var site *HeapSite
	for name, s := range h.Sites {
		if strings.HasPrefix(name, "dump.keepSome pprof_test.go:") {
			site = s
		}
	}
	if site == nil {
		t.Fatal("no site for keepSome")
	}
	// Exact at rate 1: 100 live objects of 4 KiB (the slice's own backing
	// array is charged to the same line, so at least that). This package
	// is leakslope's own, so the site is classed Own, as the probes skip.
	if site.Objects < 100 || site.Bytes < 100*4096 || site.Class != stack.Own {
		t.Errorf("keepSome site = %+v", site)
	}
	if len(site.Frames) == 0 || site.Frames[0].Func != site.Charged.Func && !strings.HasPrefix(site.Frames[0].Func, "runtime.") {
		t.Errorf("frames = %+v", site.Frames)
	}
	kept = nil
}

func TestParseHeapProfileFile(t *testing.T) {
	f, err := os.Open("testdata/pprof/heap.pb.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := ParseHeapProfile("heap.pb.gz", f, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := h.Sites["main.openSession main.go:23"]
	if s == nil || s.Objects < 700 || s.Objects > 900 || s.Charged.Line != 23 {
		t.Fatalf("openSession = %+v (sites %v)", s, keys(h.Sites))
	}
	if h.Period != 512 {
		t.Errorf("period = %d", h.Period)
	}
}

func TestParseHeapProfileRejects(t *testing.T) {
	var cpu bytes.Buffer
	if err := pprof.StartCPUProfile(&cpu); err != nil {
		t.Fatal(err)
	}
	pprof.StopCPUProfile()
	for name, in := range map[string][]byte{"text": []byte("hello"), "cpu": cpu.Bytes()} {
		_, err := ParseHeapProfile(name+".pb.gz", bytes.NewReader(in), 0)
		if err == nil || !strings.HasPrefix(err.Error(), name+".pb.gz: not a") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestSniff(t *testing.T) {
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for p, want := range map[string]Format{
		"testdata/pprof/heap.pb.gz":            HeapPprof,
		"testdata/goroutines/pprof-debug2.txt": Goroutines,
		"testdata/sos/windbg-1.log":            SOSStat,
		"testdata/sos/dotnet-dump-1.log":       SOSStat,
	} {
		if got := Sniff(read(p)); got != want {
			t.Errorf("%s: %v, want %v", p, got, want)
		}
	}
	if got := Sniff([]byte("just words\n")); got != Unknown {
		t.Errorf("text: %v", got)
	}
}

func FuzzParseHeapProfile(f *testing.F) {
	b, err := os.ReadFile("testdata/pprof/heap.pb.gz")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("heap profile: 1: 2 [3: 4] @ heap/1048576\n1: 2 [3: 4] @ 0x1\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := ParseHeapProfile("fuzz.pb.gz", bytes.NewReader(in), 0)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.pb.gz") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		for name, s := range h.Sites {
			if name != s.Site || s.Charged.Site() != name {
				t.Fatalf("site %q: %+v", name, s)
			}
		}
		// What the probes write as first/last profiles reads back.
		b, err := h.Proto()
		if err != nil {
			t.Fatalf("proto: %v", err)
		}
		again, err := ParseHeapProfile("again", bytes.NewReader(b), 0)
		if err != nil || len(again.Sites) != len(h.Sites) {
			t.Fatalf("written anew: %v, %d sites, was %d", err, len(again.Sites), len(h.Sites))
		}
	})
}
