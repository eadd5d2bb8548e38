package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/leaktest"
)

// CommandOption tunes the probes that run a command per snapshot: JVM and
// Histogram.
type CommandOption interface{ applyCommand(*commandProbe) }

type commandOption func(*commandProbe)

func (f commandOption) applyCommand(p *commandProbe) { f(p) }

// DefaultCommandTimeout is how long a snapshot's command may run: a
// histogram of a multi-GiB heap forces a full collection first, and a
// .NET dump writes the whole heap to disk.
const DefaultCommandTimeout = time.Minute

// CommandTimeout bounds each run of the snapshot's command (a minute by
// default): past it the command (its whole process group, on Unix) is
// killed and the snapshot fails with an error naming the command. d ≤ 0
// keeps the default.
func CommandTimeout(d time.Duration) CommandOption {
	return commandOption(func(p *commandProbe) {
		if d > 0 {
			p.timeout = d
		}
	})
}

// CommandMaxOutput bounds what the command may print per snapshot (256
// MiB by default): more kills it and fails the snapshot. bytes < 1 keeps
// the default.
func CommandMaxOutput(bytes int64) CommandOption {
	return commandOption(func(p *commandProbe) {
		if bytes > 0 {
			p.limit = bytes
		}
	})
}

// PID is the process id that Histogram's command names as {pid}.
func PID(pid int) CommandOption {
	return commandOption(func(p *commandProbe) { p.pid = pid })
}

// commandProbe runs a command at each snapshot and reads a class
// histogram, or a pprof heap profile, from what it prints.
type commandProbe struct {
	name    string   // the probe's name: "jvm 4242", "histogram `…`"
	argv    []string // the command, set by Start; or
	line    string   // a shell's command line (Histogram)
	shown   string   // the command as messages show it
	pid     int
	timeout time.Duration
	limit   int64
	start   func(ctx context.Context, p *commandProbe) error

	set         dump.Set         // the last heap profile, when the command prints one
	classes     bool             // a class histogram was read
	first, left dump.ClassTotals // what the first and last histograms left out: the JVM's own
	jvm         *jvmProbeInfo    // a JVM's, for its warnings
}

func newCommandProbe(name string, opts []CommandOption) *commandProbe {
	p := &commandProbe{name: name, timeout: DefaultCommandTimeout, limit: dump.MaxInput}
	for _, o := range opts {
		o.applyCommand(p)
	}
	return p
}

func (p *commandProbe) Name() string { return p.name }

func (p *commandProbe) Start(ctx context.Context) error { return p.start(ctx, p) }

func (p *commandProbe) Stop() {}

func (p *commandProbe) Take(ctx context.Context) ([]leaktest.Sample, error) {
	if p.jvm != nil {
		// Never jcmd a pid that is no longer the JVM: its attach sends
		// SIGQUIT, which would kill whatever process has the pid now.
		if err := p.jvm.same(ctx, p.pid); err != nil {
			return nil, err
		}
	}
	out, err := runCommand(ctx, p.command, p.shown, p.timeout, p.limit)
	if err != nil && p.jvm != nil && ctx.Err() == nil {
		// jcmd says "Connection refused" of a JVM that exited: say that.
		if alive, aerr := process.PidExists(int32(p.pid)); aerr == nil && !alive {
			return nil, fmt.Errorf("the JVM %d is not running (it exited): %w", p.pid, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return p.read(out)
}

// command makes the snapshot's process: argv as it is, or the shell's
// command line.
func (p *commandProbe) command(ctx context.Context) *exec.Cmd {
	if p.argv == nil {
		return shellCommand(ctx, p.line)
	}
	return newCommand(ctx, p.argv)
}

// read turns what the command printed into samples: heap.bytes:CLASS and
// heap.objects:CLASS of a class histogram (runtime.heap.bytes from its
// total), or the sites of a pprof heap profile, as analyze reads them.
func (p *commandProbe) read(out []byte) ([]leaktest.Sample, error) {
	name := fmt.Sprintf("the output of `%s`", p.shown)
	var (
		h   *dump.ClassHistogram
		err error
	)
	switch f := dump.Sniff(out); f {
	case dump.SOSStat, dump.JVMHistogram:
		h, err = dump.ParseClassHistogram(name, f, bytes.NewReader(out))
		if err == nil && h.TotalObjects < 0 {
			// SOS, WinDbg's and dotnet-dump's alike, ends its table with it.
			err = fmt.Errorf("%s: the histogram ends without its \"Total\" line: cut off?", name)
		}
	case dump.HeapPprof:
		hp, err := dump.ParseHeapProfile(name, bytes.NewReader(out), p.limit)
		if err != nil {
			return nil, err
		}
		p.set.Heap = hp
		var samples []leaktest.Sample
		p.set.Values(func(kind, site string, v float64) {
			samples = append(samples, leaktest.Sample{Symbol: leaktest.Sym(leaktest.Kind(kind), site), Value: v})
		})
		return samples, nil
	default:
		return nil, fmt.Errorf("`%s` printed no class histogram (SOS `!dumpheap -stat`, a JVM's GC.class_histogram) and no pprof heap profile; its first line: %q", p.shown, firstLine(out))
	}
	if err != nil {
		return nil, err
	}
	sums := map[leaktest.Symbol]float64{}
	var order []leaktest.Symbol
	add := func(sym leaktest.Symbol, v float64) {
		if _, ok := sums[sym]; !ok {
			order = append(order, sym)
		}
		sums[sym] += v
	}
	// A class loaded by several class loaders has a row per loader: one
	// symbol sums them.
	p.left = h.Values(func(kind, class string, v float64) { add(leaktest.Sym(leaktest.Kind(kind), class), v) })
	if !p.classes {
		p.first, p.classes = p.left, true
	}
	if h.TotalBytes >= 0 {
		add(leaktest.SymRuntimeHeapBytes, float64(h.TotalBytes))
	}
	samples := make([]leaktest.Sample, len(order))
	for i, sym := range order {
		samples[i] = leaktest.Sample{Symbol: sym, Value: sums[sym]}
	}
	return samples, nil
}

// Describe names the sites of a pprof heap profile the command printed.
// A class has no site: it is only told the service's own (it leads the
// report) or its runtime library's.
func (p *commandProbe) Describe(sym leaktest.Symbol) (leaktest.Origin, bool) {
	if o, ok := p.set.Describe(string(sym.Kind()), sym.Site()); ok {
		return leaktest.Origin(o), true
	}
	if k := sym.Kind(); !p.classes || k != leaktest.KindHeapBytes && k != leaktest.KindHeapObjects {
		return leaktest.Origin{}, false
	}
	return leaktest.Origin{UserCode: !dump.LibraryClass(sym.Site())}, true
}

// Resolution is a sampled pprof heap profile's; a class histogram is
// exact.
func (p *commandProbe) Resolution(sym leaktest.Symbol, span float64) float64 {
	return p.set.Resolution(string(sym.Kind()), sym.Site(), span)
}

// Warnings says what of the runtime's own the histograms left out, why a
// JVM's resident set needs its budget, and when a sampled profile left
// symbols undecided.
func (p *commandProbe) Warnings(rep *leaktest.Report) []string {
	var out []string
	if w := dump.LeftOutWarning(p.first, p.left, "snapshot"); w != "" {
		out = append(out, w)
	}
	if p.jvm != nil {
		out = append(out, p.jvm.warnings(rep)...)
	}
	if n := undecidedSampled(rep); n > 0 && p.set.Period() > 0 {
		out = append(out, dump.SampledWarning(n, "`"+p.shown+"`", p.set.Period(), "a longer run"))
	}
	return out
}

// firstLine is the first line of b with something on it, but for a JVM's
// notice of its options (JAVA_TOOL_OPTIONS, common in CI), which jcmd
// prints before what went wrong.
func firstLine(b []byte) string {
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "Picked up ") && !strings.HasPrefix(l, "NOTE: Picked up ") {
			return clip(l)
		}
	}
	return ""
}

// runCommand runs the command made by command within timeout, returning
// what it printed on stdout, up to limit bytes. A failure names the
// command as shown: its exit status and the first line it printed on
// stderr (or stdout), a timeout, or output over the limit. Whatever the
// command left running (a child in the background) is killed.
func runCommand(ctx context.Context, command func(context.Context) *exec.Cmd, shown string, timeout time.Duration, limit int64) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := command(cctx)
	// A child that keeps stdout open must not hold the snapshot past the
	// command's end by more than this.
	cmd.WaitDelay = 2 * time.Second
	stdout := &boundedBuffer{buf: &bytes.Buffer{}, limit: limit, over: cancel}
	var stderr headWriter
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	reap(cmd)
	switch {
	case stdout.exceeded:
		return nil, fmt.Errorf("`%s` printed over %s: killed (probe.CommandMaxOutput, --max-input)", shown, units.Bytes(float64(limit)))
	case ctx.Err() != nil:
		return nil, fmt.Errorf("`%s`: %w", shown, ctx.Err())
	case cctx.Err() != nil:
		return nil, fmt.Errorf("`%s` did not finish within %v: killed (probe.CommandTimeout, --snapshot-timeout)", shown, timeout)
	case errors.Is(err, exec.ErrWaitDelay):
		return nil, fmt.Errorf("`%s` ended, but left a process holding its output (killed): the output may be incomplete", shown)
	case err != nil:
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return nil, fmt.Errorf("`%s`: %v", shown, err)
		}
		what := fmt.Sprintf("exited with status %d", ee.ExitCode())
		if ee.ExitCode() < 0 {
			what = "was killed: " + ee.String()
		}
		line := firstLine(stderr.b)
		if line == "" {
			line = firstLine(stdout.buf.Bytes())
		}
		if line == "" {
			return nil, fmt.Errorf("`%s` %s after %v, printing nothing", shown, what, time.Since(began).Round(time.Millisecond))
		}
		return nil, fmt.Errorf("`%s` %s: %s", shown, what, line)
	}
	return stdout.buf.Bytes(), nil
}

// boundedBuffer keeps up to limit bytes; more fails the write and calls
// over, which kills the command.
type boundedBuffer struct {
	buf      *bytes.Buffer
	limit    int64
	over     func()
	exceeded bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if int64(b.buf.Len()+len(p)) > b.limit {
		if !b.exceeded {
			b.exceeded = true
			b.over()
		}
		return 0, errors.New("output over its limit")
	}
	return b.buf.Write(p)
}

// headWriter keeps the first 4 KiB written to it: a failing command's
// first line is what its error shows, and stderr may be endless.
type headWriter struct{ b []byte }

func (h *headWriter) Write(p []byte) (int, error) {
	if room := 4<<10 - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// undecidedSampled counts the symbols left undecided under a sampled
// profile's resolution.
func undecidedSampled(rep *leaktest.Report) int {
	n := 0
	for _, v := range rep.Verdicts {
		if v.Decision == leaktest.Undecided && v.Trend.Resolution > 0 {
			n++
		}
	}
	return n
}
