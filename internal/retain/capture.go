package retain

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"sync/atomic"

	"github.com/leakslope/leakslope/internal/heapdump"
	"github.com/leakslope/leakslope/internal/stack"
	"github.com/leakslope/leakslope/internal/units"
)

// UnavailableError says why retention paths could not be had; the run
// that asked goes on without them.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string {
	return "retention paths are not available: " + e.Reason
}

// MaxHeap is the largest live heap Capture dumps.
const MaxHeap = 4 << 30

// Captures counts the heap dumps this process has written: a run without
// a heap leak must write none.
var Captures atomic.Int64

// captures serializes heap dumps: the runtime writes one at a time, and
// two would double the memory spent.
var captures sync.Mutex

// Capture dumps this process's heap and says what holds the objects of
// each site. The world is stopped while the runtime writes the dump (to a
// private temporary file, removed after); call it at a quiesce point,
// only when there is something to explain. The process's heap profiling
// is left as it is (a service's profile goes on).
func Capture(sites []string) (map[string]*Result, error) { return dumpAndExplain(sites, false) }

// CaptureAtRunEnd is Capture for a leaktest run that has taken its last
// snapshot: with every allocation profiled (MemProfileRate 1), the
// analysis's own allocations are not, which halves its time.
func CaptureAtRunEnd(sites []string) (map[string]*Result, error) { return dumpAndExplain(sites, true) }

// leakedGoroutines refuses a dump once Go 1.27's goroutine leak detection
// has marked goroutines leaked: they keep a status the heap dump writer
// does not expect (until the next detection), and it would crash the
// process.
func leakedGoroutines() error {
	if p := pprof.Lookup("goroutineleak"); p != nil && p.Count() > 0 {
		return &UnavailableError{Reason: fmt.Sprintf("the goroutineleak profile marked %d goroutines leaked, and %s's heap dump writer crashes on them (a goroutine leak detection ran earlier in this process, and its marks stay: fix those goroutines, or run this test alone, to see what holds)", p.Count(), runtime.Version())}
	}
	return nil
}

// Exclusive runs f while no heap dump is being written: a goroutine leak
// detection (WriteTo of the goroutineleak profile) must not come between
// a dump's check for marked goroutines and its writing, or the runtime's
// dump writer crashes on the marks.
func Exclusive(f func()) {
	captures.Lock()
	defer captures.Unlock()
	f()
}

func dumpAndExplain(sites []string, runEnded bool) (map[string]*Result, error) {
	captures.Lock()
	defer captures.Unlock()
	if err := leakedGoroutines(); err != nil {
		return nil, err
	}
	if v := runtime.Version(); !heapdump.KnownVersion(v) {
		return nil, &UnavailableError{Reason: fmt.Sprintf("the heap dump format of %s is not known to this leakslope", v)}
	}
	runtime.GC()
	runtime.GC()
	// The dump is as large as the heap, on disk, and its analysis takes
	// about twice as much again.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > MaxHeap {
		return nil, &UnavailableError{Reason: fmt.Sprintf("the heap is %s, over the %s a heap dump is written for", units.Bytes(float64(ms.HeapAlloc)), units.Bytes(MaxHeap))}
	}
	records, _ := stack.MemProfile(nil)
	nm := newProcess(records)
	profiled := runtime.MemProfileRate
	records = nil

	Captures.Add(1)
	f, err := os.CreateTemp("", "leakslope-heapdump-*")
	if err != nil {
		return nil, &UnavailableError{Reason: fmt.Sprintf("no file for the heap dump: %v", err)}
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Again, as late as can be: a detection may have run meanwhile (a
	// service's /debug/pprof/goroutineleak). What remains is the moment
	// between this and the dump's stopping the world.
	if err := leakedGoroutines(); err != nil {
		return nil, err
	}
	debug.WriteHeapDump(f.Fd())
	st, err := f.Stat()
	if err == nil {
		_, err = f.Seek(0, 0)
	}
	if err != nil {
		return nil, &UnavailableError{Reason: err.Error()}
	}
	// Profiling every allocation of the analysis (the rate a leaktest run
	// leaves) would double its time; it is over once the dump is written.
	if runEnded && runtime.MemProfileRate == 1 {
		runtime.MemProfileRate = 0
		defer func() { runtime.MemProfileRate = 1 }()
	}
	d, err := heapdump.Read(bufio.NewReaderSize(f, 1<<20), st.Size(), int(ms.HeapObjects))
	if err != nil {
		var fe *heapdump.FormatError
		if errors.As(err, &fe) {
			return nil, &UnavailableError{Reason: err.Error()}
		}
		return nil, &UnavailableError{Reason: fmt.Sprintf("reading the heap dump: %v", err)}
	}
	f.Close()
	os.Remove(f.Name())
	out := Analyze(d, nm, sites)
	var notes []string
	if nm.syms.err != nil {
		notes = append(notes, "package variables are shown by address: "+nm.syms.err.Error())
	}
	if rate := profiled; rate != 1 {
		notes = append(notes, fmt.Sprintf("the heap profile is sampled (runtime.MemProfileRate = %d): only sampled objects carry a site, so these paths are the ones the sampled objects prove", rate))
		unsampled(out)
		for _, r := range out {
			r.Sampled = true
		}
	}
	for _, r := range out {
		r.Notes = append(r.Notes, notes...)
	}
	return out, nil
}

// unsampled relabels the hops whose site is not known in a sampled
// profile: most were not sampled, rather than allocated before profiling
// began.
func unsampled(out map[string]*Result) {
	for _, r := range out {
		for i := range r.Paths {
			p := &r.Paths[i]
			for j := range p.Hops {
				if h := &p.Hops[j]; h.BeforeProfiling {
					h.BeforeProfiling, h.Unsampled = false, true
					p.Path[j] = notSampled
				}
			}
		}
	}
}
