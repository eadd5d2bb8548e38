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
	argv    []string // the command, set by Start
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
	out, err := runCommand(ctx, p.argv, p.shown, p.timeout, p.limit)
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

// read turns what the command printed into samples: heap.bytes:CLASS and
// heap.objects:CLASS of a class histogram (runtime.heap.bytes from its
// total), or the sites of a pprof heap profile, as analyze reads them.
func (p *commandProbe) read(out []byte) ([]leaktest.Sample, error) {
	name := fmt.Sprintf("the output of `%s`", p.shown)
	var (
		h   *dump.ClassHistogram
		err error
	)
	switch dump.Sniff(out) {
	case dump.SOSStat:
		h, err = dump.ParseDumpheapStat(name, bytes.NewReader(out))
	case dump.JVMHistogram:
		h, err = dump.ParseJVMHistogram(name, bytes.NewReader(out))
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

// undecidedSampled counts the heap symbols left undecided under a
// sampled profile's resolution.
func undecidedSampled(rep *leaktest.Report) int {
	n := 0
	for _, v := range rep.Verdicts {
		if v.Decision == leaktest.Undecided && v.Trend.Resolution > 0 {
			n++
		}
	}
	return n
}

func firstLine(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return clip(strings.TrimSpace(string(b)))
}

// runCommand runs argv to its end within timeout, returning what it
// printed on stdout, up to limit bytes. A failure names the command as
// shown: its exit status and the first line it printed on stderr (or
// stdout), a timeout, or output over the limit.
func runCommand(ctx context.Context, argv []string, shown string, timeout time.Duration, limit int64) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, argv[0], argv[1:]...)
	inGroup(cmd)
	// A shell's child that keeps stdout open must not hold the snapshot
	// past the kill.
	cmd.WaitDelay = 2 * time.Second
	stdout := &boundedBuffer{buf: &bytes.Buffer{}, limit: limit}
	var stderr headWriter
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	began := time.Now()
	err := cmd.Run()
	switch {
	case stdout.over:
		return nil, fmt.Errorf("`%s`: %w", shown, &dump.TooLargeError{Name: "its output", Limit: limit})
	case ctx.Err() != nil:
		return nil, fmt.Errorf("`%s`: %w", shown, ctx.Err())
	case cctx.Err() != nil:
		return nil, fmt.Errorf("`%s` did not finish within %v: killed (CommandTimeout, --snapshot-timeout)", shown, timeout)
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

// boundedBuffer keeps up to limit bytes; more fails the write, which
// ends the command's output (its next write gets EPIPE).
type boundedBuffer struct {
	buf   *bytes.Buffer
	limit int64
	over  bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if int64(b.buf.Len()+len(p)) > b.limit {
		b.over = true
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
