package leaktest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
)

// resourceProbe reads what the test process itself can run out of, with
// the limits it would hit: open files (process.fds, against
// RLIMIT_NOFILE), OS threads (process.threads, against
// debug.SetMaxThreads), and, for the heap probe's runtime.heap.bytes, the
// memory limit (GOMEMLIMIT, or the cgroup's). A leak of connections or
// threads breaks the process long before a trend is sure; a series that
// reaches most of its limit is exhausted, never "growth stopped".
type resourceProbe struct {
	lim map[Symbol]Limit
}

func newResourceProbe() *resourceProbe {
	p := &resourceProbe{lim: map[Symbol]Limit{}}
	if n := fdLimit(); n > 0 {
		p.lim[SymProcessFDs] = Limit{float64(n), "RLIMIT_NOFILE"}
	}
	// SetMaxThreads is the only way to read the limit: set it back at once.
	// (A limit under the threads already running would crash the process.)
	maxThreads := debug.SetMaxThreads(math.MaxInt32)
	debug.SetMaxThreads(maxThreads)
	p.lim[SymProcessThreads] = Limit{float64(maxThreads), "debug.SetMaxThreads"}
	if l, name := memoryLimit(); l > 0 {
		p.lim[SymRuntimeHeapBytes] = Limit{l, name}
	}
	return p
}

func (*resourceProbe) Name() string { return "process" }

func (p *resourceProbe) Limits() map[Symbol]Limit { return p.lim }

func (p *resourceProbe) Take(context.Context) ([]Sample, error) {
	var out []Sample
	if n, ok := p.openFiles(); ok {
		out = append(out, Sample{SymProcessFDs, n})
	}
	return append(out, Sample{SymProcessThreads, threads()}), nil
}

// openFiles counts /proc/self/fd (Linux). At the limit the count itself
// cannot open the directory: that is the limit's value, not an error.
func (p *resourceProbe) openFiles() (float64, bool) {
	ents, err := os.ReadDir("/proc/self/fd")
	switch {
	case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
		l, ok := p.lim[SymProcessFDs]
		return l.Value, ok
	case err != nil:
		return 0, false
	}
	return float64(len(ents) - 1), true // less the directory being read
}

// threads is the process's OS threads: /proc/self/status on Linux, else
// the threads the Go runtime created (it rarely lets one go).
func threads() float64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					return float64(n)
				}
			}
		}
	}
	return float64(pprof.Lookup("threadcreate").Count())
}

// memoryLimit is the smaller of GOMEMLIMIT and the cgroup's memory limit,
// with its name; 0 when there is neither.
func memoryLimit() (float64, string) {
	limit, name := 0.0, ""
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		limit, name = float64(l), "GOMEMLIMIT"
	}
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		// cgroup v1 writes "no limit" as a huge page-aligned number.
		if err == nil && v > 0 && v < 1<<60 && (limit == 0 || v < limit) {
			limit, name = v, "cgroup memory limit"
		}
		break
	}
	return limit, name
}
