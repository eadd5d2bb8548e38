package leaktest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"github.com/shirou/gopsutil/v4/process"
)

// Symbols of the Process probe.
const (
	SymProcessRSS     = Symbol("process.rss")
	SymProcessFDs     = Symbol("process.fds")
	SymProcessThreads = Symbol("process.threads")
)

// Process is a probe of another process by pid, in any language: its
// resident set (process.rss), open file descriptors (process.fds, Linux
// only) and threads (process.threads). Use it with WithoutHeap and
// WithoutGoroutines when the target runs outside the test, or with Watch.
//
// A process that exits mid-run fails the snapshot with an error naming the
// pid, which ends the run with the report so far.
func Process(pid int) Probe {
	return &processProbe{pid: pid}
}

type processProbe struct {
	pid  int
	proc *process.Process
}

func (p *processProbe) Name() string { return fmt.Sprintf("process %d", p.pid) }

func (p *processProbe) Take(ctx context.Context) ([]Sample, error) {
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
	out := []Sample{{SymProcessRSS, float64(mem.RSS)}, {SymProcessThreads, float64(threads)}}
	if runtime.GOOS == "linux" {
		fds, err := p.proc.NumFDsWithContext(ctx)
		if err != nil {
			return nil, p.gone(err)
		}
		out = append(out, Sample{SymProcessFDs, float64(fds)})
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
