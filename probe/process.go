package probe

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/leakslope/leakslope/leaktest"
)

// Process is a probe of another process by pid, in any language: its
// resident set (process.rss), open file descriptors (process.fds, Linux
// only) and threads (process.threads). Use it with leaktest.WithoutHeap,
// WithoutGoroutines and WithoutResources when the target runs outside
// the test (those read the test's own process, under the same symbols),
// or with leaktest.Watch.
//
// On Linux the process's open-files limit (RLIMIT_NOFILE, as
// /proc/PID/limits gives it) is process.fds's limit: a service leaking
// connections that climbs to it broke, and the run is decided there.
//
// A process that exits mid-run fails the snapshot with an error naming the
// pid, which ends the run with the report so far.
func Process(pid int) leaktest.Probe {
	return &processProbe{pid: pid}
}

type processProbe struct {
	pid  int
	proc *process.Process
	lim  map[leaktest.Symbol]leaktest.Limit // as of the last snapshot
}

func (p *processProbe) Name() string { return fmt.Sprintf("process %d", p.pid) }

func (p *processProbe) Take(ctx context.Context) ([]leaktest.Sample, error) {
	if p.proc == nil {
		if p.pid <= 0 || int64(p.pid) > 1<<31-1 {
			return nil, fmt.Errorf("pid %d: not a process id", p.pid)
		}
		proc, err := process.NewProcessWithContext(ctx, int32(p.pid))
		if err != nil {
			return nil, p.gone(err)
		}
		p.proc = proc
	}
	// A dead child that its parent has not reaped is still in /proc, as a
	// zombie with no memory: that is an exit, not a drop to 0 bytes.
	if st, err := p.proc.StatusWithContext(ctx); err != nil {
		return nil, p.gone(err)
	} else if slices.Contains(st, process.Zombie) {
		return nil, fmt.Errorf("process %d exited (a zombie now)", p.pid)
	}
	mem, err := p.proc.MemoryInfoWithContext(ctx)
	if err != nil {
		return nil, p.gone(err)
	}
	threads, err := p.proc.NumThreadsWithContext(ctx)
	if err != nil {
		return nil, p.gone(err)
	}
	out := []leaktest.Sample{{Symbol: leaktest.SymProcessRSS, Value: float64(mem.RSS)}, {Symbol: leaktest.SymProcessThreads, Value: float64(threads)}}
	if runtime.GOOS == "linux" {
		fds, err := p.proc.NumFDsWithContext(ctx)
		if err != nil {
			return nil, p.gone(err)
		}
		out = append(out, leaktest.Sample{Symbol: leaktest.SymProcessFDs, Value: float64(fds)})
		// Read at each snapshot: a process may set its limit after it
		// starts, or have it set (prlimit).
		p.lim = limits(ctx, p.proc)
	}
	return out, nil
}

// gone turns "no such file" from /proc into the news that the process
// exited.
func (p *processProbe) gone(err error) error {
	if running, rerr := process.PidExists(int32(p.pid)); rerr == nil && !running || errors.Is(err, process.ErrorProcessNotRunning) {
		return fmt.Errorf("process %d is not running (it exited or never was)", p.pid)
	}
	return fmt.Errorf("process %d: %w", p.pid, err)
}

// Limits gives process.fds its limit, RLIMIT_NOFILE's soft value, when
// the process's limits could be read.
func (p *processProbe) Limits() map[leaktest.Symbol]leaktest.Limit { return p.lim }

func limits(ctx context.Context, proc *process.Process) map[leaktest.Symbol]leaktest.Limit {
	if runtime.GOOS != "linux" {
		return nil // fds are counted on Linux only
	}
	rl, err := proc.RlimitWithContext(ctx)
	if err != nil {
		return nil // another user's process: no limit, no break
	}
	for _, r := range rl {
		// RLIM_INFINITY reads as the largest uint64.
		if r.Resource == process.RLIMIT_NOFILE && r.Soft > 0 && r.Soft < 1<<62 {
			return map[leaktest.Symbol]leaktest.Limit{leaktest.SymProcessFDs: {Value: float64(r.Soft), Name: "RLIMIT_NOFILE"}}
		}
	}
	return nil
}
