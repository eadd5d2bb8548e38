package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/leakslope/leakslope/internal/clean"
	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/probe"
	"github.com/leakslope/leakslope/runner"
)

const hammerUsage = `usage: leakslope hammer [flags] URL
       leakslope hammer [flags] -- COMMAND ARGS...

Hammers URL (one request per op over keep-alive connections) or runs
COMMAND once per op, in rounds of -n ops over -t workers with -w between
rounds; at the quiesce points between rounds it snapshots what it watches
(--pid, --pprof, --prometheus with --query, --jvm, --histogram; at least
one), and stops at
the first proven leak (exit 1), when every symbol is decided, or at
--max-duration. A target that breaks — stops answering, starts failing, or
never worked — ends the run at once: with a leak that grew until then
(exit 1), else as a failed run (exit 3). Ctrl-C stops it and prints the
report so far.

With --prometheus, each snapshot is an instant query, and each series it
returns is a symbol prom:SERIES, budget 0/op unless a --budget matches it.
Prometheus knows the target only as of its last scrape: give -w at least
the scrape interval, so that each snapshot sees the round before it. A
malformed query exits 2; Prometheus not answering, or a query that returns
no series or too many, exit 3 with the report so far.

With --jvm PID (a Java service) or --histogram COMMAND (any runtime whose
tool prints a class histogram: .NET's dotnet-dump, {pid} being --pid's),
each snapshot is a class histogram, one symbol per class. Such commands
take a fraction of a second or more: snapshots are spaced so that the
hammer runs most of the time, and the report says the time they took. A
command that fails, hangs past --snapshot-timeout or prints what is not a
histogram ends the run with the report so far (exit 3).

examples:
  leakslope hammer --jvm 4242 -t 4 -n 10 -w 10ms http://127.0.0.1:8080/api/orders
  leakslope hammer --pid 4242 --histogram 'dotnet-dump collect -p {pid} -o /tmp/{pid}.dmp >/dev/null && dotnet-dump analyze /tmp/{pid}.dmp -c "dumpheap -stat" -c exit' \
      http://127.0.0.1:5000/api/orders
  leakslope hammer -t 4 -n 100 --pid 4242 --pprof http://127.0.0.1:6060/debug/pprof \
      --budget 'process.rss <= 64B/op' http://127.0.0.1:8080/api/session
  leakslope hammer -t 4 -n 100 -w 15s --prometheus http://prometheus:9090 \
      --query 'process_resident_memory_bytes{job="api"}' \
      --budget 'prom:* <= 64B/op' http://api:8080/api/session
`

// watched are the probe flags of hammer and watch.
type watched struct {
	pid        int
	pprof      string
	prometheus string
	query      string
	headers    multi
	groupBy    string
	limitQuery string
	jvm        int
	histogram  string
	cmdTimeout time.Duration
}

func (w *watched) register(fs *flag.FlagSet) {
	fs.IntVar(&w.pid, "pid", 0, "watch the process `PID` (any language): process.rss, process.fds, process.threads")
	fs.StringVar(&w.pprof, "pprof", "", "watch a Go service by its net/http/pprof `BASEURL` (http://HOST:PORT/debug/pprof): heap by allocation site (sampled), the heap total runtime.heap.bytes (exact; budget 8B/op, 1MiB/h for watch, unless a --budget matches it), goroutines by creation site")
	fs.StringVar(&w.prometheus, "prometheus", "", "watch the series of a PromQL --query on the Prometheus server at `BASEURL` (http://HOST:9090): one symbol prom:SERIES per series (budget 0/op, 0/s for watch, unless a --budget matches it)")
	fs.StringVar(&w.query, "query", "", "the `PROMQL` query for --prometheus, an instant vector: process_resident_memory_bytes{job=\"api\"}")
	fs.Var(&w.headers, "header", "a header `'Name: value'` for every request to --prometheus (repeatable): 'Authorization: Bearer TOKEN'")
	fs.StringVar(&w.groupBy, "group-by", "", "with --prometheus, pool the series with the same values of these `LABELS` (comma-separated: deployment,container) into one symbol per group, its slope per series")
	fs.IntVar(&w.jvm, "jvm", 0, "watch the Java virtual machine `PID` by its class histogram (jcmd PID GC.class_histogram, after a full GC, at each snapshot): heap.bytes:CLASS and heap.objects:CLASS, exact; its resident set only with --pid as well")
	fs.StringVar(&w.histogram, "histogram", "", "run `COMMAND` with sh -c (cmd.exe /S /C on Windows) at each snapshot and read the class histogram it prints (a .NET !dumpheap -stat, a JVM histogram, or a pprof heap profile): heap.bytes:CLASS and heap.objects:CLASS; {pid} in it is --pid's")
	fs.DurationVar(&w.cmdTimeout, "snapshot-timeout", probe.DefaultCommandTimeout, "a --jvm or --histogram command running longer than `D` is killed, and the run ends with the report so far (exit 3)")
	fs.StringVar(&w.limitQuery, "limit-query", "", "with --prometheus, each series's limit from this `PROMQL` query (container_spec_memory_limit_bytes): a leak says when it would reach it")
}

func (w *watched) probes(cmd string, maxInput int64) ([]leaktest.Probe, error) {
	var out []leaktest.Probe
	if w.pid < 0 {
		return nil, usageErr("%s: --pid %d: want a process id > 0", cmd, w.pid)
	}
	if w.pid > 0 {
		if ok, _ := processExists(w.pid); !ok {
			return nil, usageErr("%s: --pid %d: no such process", cmd, w.pid)
		}
		out = append(out, probe.Process(w.pid))
	}
	// Each of these gives heap.bytes and runtime.heap.bytes symbols: two
	// would be summed into nonsense.
	var heaps []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"--pprof", w.pprof != ""}, {"--jvm", w.jvm != 0}, {"--histogram", w.histogram != ""}} {
		if f.set {
			heaps = append(heaps, f.name)
		}
	}
	if len(heaps) > 1 {
		return nil, usageErr("%s: %s and %s both read a heap (heap.bytes symbols): give one per run", cmd, heaps[0], heaps[1])
	}
	if w.cmdTimeout <= 0 {
		return nil, usageErr("%s: --snapshot-timeout %v: want > 0", cmd, w.cmdTimeout)
	}
	copts := []probe.CommandOption{probe.CommandTimeout(w.cmdTimeout), probe.CommandMaxOutput(maxInput)}
	switch {
	case w.jvm < 0:
		return nil, usageErr("%s: --jvm %d: want a process id > 0", cmd, w.jvm)
	case w.jvm > 0:
		if ok, _ := processExists(w.jvm); !ok {
			return nil, usageErr("%s: --jvm %d: no such process", cmd, w.jvm)
		}
		out = append(out, probe.JVM(w.jvm, copts...))
	}
	if w.histogram != "" {
		switch {
		case strings.TrimSpace(w.histogram) == "":
			return nil, usageErr("%s: --histogram: an empty command", cmd)
		case strings.Contains(w.histogram, "{pid}") && w.pid == 0:
			return nil, usageErr("%s: --histogram %q names {pid}: give --pid PID, the process it is about", cmd, w.histogram)
		}
		out = append(out, probe.Histogram(w.histogram, append(copts, probe.PID(w.pid))...))
	}
	if w.pprof != "" {
		u, err := url.Parse(w.pprof)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErr("%s: --pprof %q: want an http(s) URL such as http://127.0.0.1:6060/debug/pprof", cmd, clean.URL(w.pprof))
		}
		out = append(out, probe.Pprof(w.pprof, probe.MaxResponse(maxInput)))
	}
	switch {
	case w.prometheus != "" && w.query == "":
		return nil, usageErr("%s: --prometheus %q needs --query PROMQL: the series to watch", cmd, clean.URL(w.prometheus))
	case w.query != "" && w.prometheus == "":
		return nil, usageErr("%s: --query %q needs --prometheus BASEURL: the server to ask", cmd, w.query)
	case w.prometheus == "" && len(w.headers) > 0:
		return nil, usageErr("%s: --header is for --prometheus, which is not given", cmd)
	case w.prometheus == "" && w.groupBy != "":
		return nil, usageErr("%s: --group-by is for --prometheus, which is not given", cmd)
	case w.prometheus == "" && w.limitQuery != "":
		return nil, usageErr("%s: --limit-query is for --prometheus, which is not given", cmd)
	case w.prometheus != "":
		u, err := url.Parse(w.prometheus)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usageErr("%s: --prometheus %q: want an http(s) URL such as http://127.0.0.1:9090", cmd, clean.URL(w.prometheus))
		}
		opts := []probe.PrometheusOption{probe.PrometheusMaxResponse(maxInput)}
		for _, h := range w.headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				// It may be a secret (a token without its name): not shown.
				return nil, usageErr("%s: --header: want 'Name: value', got text with no name before a colon (not shown: it may be a secret)", cmd)
			}
			opts = append(opts, probe.PrometheusHeader(strings.TrimSpace(k), strings.TrimSpace(v)))
		}
		if w.groupBy != "" {
			var labels []string
			for _, l := range strings.Split(w.groupBy, ",") {
				if l = strings.TrimSpace(l); !labelName(l) {
					return nil, usageErr("%s: --group-by %q: %q is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", cmd, w.groupBy, l)
				}
				labels = append(labels, l)
			}
			opts = append(opts, probe.GroupBy(labels...))
		}
		if w.limitQuery != "" {
			opts = append(opts, probe.LimitQuery(w.limitQuery))
		}
		out = append(out, probe.Prometheus(w.prometheus, w.query, opts...))
	}
	if len(out) == 0 {
		return nil, usageErr("%s: nothing to watch: give --pid PID, --pprof BASEURL, --prometheus BASEURL --query PROMQL, --jvm PID or --histogram COMMAND (see leakslope %s --help)", cmd, cmd)
	}
	return out, nil
}

// The budgets of a --pprof service's exact heap total (runtime.heap.bytes,
// its runtime.MemStats.HeapAlloc after a forced GC), which leaktest leaves
// unbudgeted (in process it is a chart only). Not 0: a Go runtime's own
// bookkeeping (goroutine and thread structs, semaphore waiters, connection
// buffers) rises to high-water marks as a service runs, and a clean
// gosvc was seen creeping ~1 B/op over 50,000 ops at a quiesce point (a
// bounded cache behind a mutex was called a leak at 0 B/op) and by
// hundreds of B/s, noisily, under its own load. 8 B/op is half a
// request's leak of one 16-byte object kept in a slice (gosvc
// /smallleak): a leak must be over the budget in every quarter of the
// run, and the slice's own growth comes in steps that not every quarter
// holds, so the sustained part, the objects, must clear it alone. The
// watch budget is process.rss's.
const (
	pprofHeapBudgetPerOp   = "runtime.heap.bytes <= 8B/op"
	pprofHeapBudgetPerTime = "runtime.heap.bytes <= 1MiB/h"
)

// budgets are what the probes' symbols need beyond leaktest's defaults,
// given after the user's budgets (c.options) so that a user's budget that
// matches wins. perOp is for hammer, else watch.
func (w *watched) budgets(perOp bool) []leaktest.Option {
	var out []leaktest.Option
	switch {
	case w.pprof != "" && perOp:
		out = append(out, leaktest.WithBudget(pprofHeapBudgetPerOp))
	case w.pprof != "":
		out = append(out, leaktest.WithBudget(pprofHeapBudgetPerTime))
	}
	switch {
	case w.prometheus != "" && perOp:
		out = append(out, leaktest.WithBudget(promBudgetPerOp))
	case w.prometheus != "":
		out = append(out, leaktest.WithBudget(promBudgetPerTime))
	}
	return out
}

// The budgets of a Prometheus series unless a --budget matches it: no
// growth at all, as leaktest's other defaults per op and per second (a
// series's unit is the query's, unknown here, so no allowance such as
// process.rss's can be chosen for it). Under a hammer it is per op: the
// series is read at the quiesce points, x = ops, as --pid's and
// --pprof's symbols; a series that moves on its own (a resident set's
// pages) wants a --budget of its own.
const (
	promBudgetPerOp   = "prom:* <= 0/op"
	promBudgetPerTime = "prom:* <= 0/s"
)

// queryExit makes a malformed --query (Prometheus refused it) or a bad
// --baseline file bad input, exit 2, not a failed run; a leak's exit code
// still wins.
func queryExit(err error) error {
	var qe *probe.QueryError
	var be *leaktest.BaselineError
	var ee *exitError
	if (errors.As(err, &qe) || errors.As(err, &be)) && errors.As(err, &ee) && ee.code == exitFailed {
		ee.code = exitUsage
	}
	return err
}

// hammerFlags names the flag (or argument) behind each field a
// *runner.FieldError can name.
var hammerFlags = map[string]string{"Workers": "-t", "Jobs": "-n", "Wait": "-w", "Stall": "--stall", "Method": "-X", "Header": "-H", "URL": "URL"}

func hammerCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("hammer", hammerUsage)
	var (
		c       common
		w       watched
		workers = fs.Int("t", 4, "workers: ops in flight at once")
		jobs    = fs.Int("n", 100, "jobs per round; snapshots are taken between rounds")
		wait    = fs.Duration("w", 0, "wait between rounds")
		maxDur  = fs.Duration("max-duration", 2*time.Minute, "stop after `D` even if undecided (undecided passes)")
		since   = fs.Duration("since", 0, "refused: history is for watch (`D`); a hammered run's x axis is its own ops")
		minOps  = fs.Int64("min-ops", leaktest.DefaultMinOps, "ops after warm-up before any verdict (the largest cache sure not to fail the run)")
		warmUp  = fs.Int64("warm-up", leaktest.DefaultWarmUp, "ops before the first fitted snapshot")
		method  = fs.String("X", "GET", "HTTP `method`")
		data    = fs.String("data", "", "request `body`")
		timeout = fs.Duration("timeout", 10*time.Second, "per-op timeout (a command past it is killed); an op past it is an op error")
		stall   = fs.Duration("stall", 2*time.Second, "a round with no op completing for `D` (and 10× the slowest op) is a stalled target: decided on the data so far; < 0 turns it off")
		expect  = fs.Bool("expect-errors", false, "op errors are expected: a run whose ops mostly fail is not a failed run")
		all     = fs.Bool("all", false, "keep going after a leak is proven, until every symbol is decided")
		status  = fs.String("status", "", "comma-separated `codes` that count as success (default any 2xx)")
		headers multi
	)
	fs.Var(&headers, "H", "request `header` 'Key: Value' (repeatable)")
	c.register(fs.FlagSet)
	w.register(fs.FlagSet)
	pos, tail, help, err := parse(fs, args, stdout)
	if err != nil || help {
		return err
	}
	// The hammer's limits are runner's; the message names the flag.
	var fe *runner.FieldError
	if err := (runner.Config{Workers: *workers, Jobs: *jobs, Wait: *wait, Stall: *stall}).Validate(); errors.As(err, &fe) {
		return usageErr("hammer: %s %v: want %s", hammerFlags[fe.Field], fe.Value, fe.Want)
	} else if err != nil {
		return usageErr("hammer: %v", err)
	}
	switch {
	case *maxDur <= 0:
		return usageErr("hammer: --max-duration %v: want > 0", *maxDur)
	case *minOps < 0:
		return usageErr("hammer: --min-ops %d: want ≥ 0", *minOps)
	case *warmUp < 0:
		return usageErr("hammer: --warm-up %d: want ≥ 0", *warmUp)
	case *timeout <= 0:
		return usageErr("hammer: --timeout %v: want > 0", *timeout)
	}
	var target runner.Target
	switch {
	case tail != nil && len(pos) > 0:
		return usageErr("hammer: both a URL (%s) and a command after --: give one", clean.URL(pos[0]))
	case tail != nil && len(tail) == 0:
		return usageErr("hammer: no command after --")
	case tail != nil:
		target = runner.WithTimeout(runner.Command(tail[0], tail[1:]...), *timeout)
	case len(pos) == 0:
		return usageErr("hammer: no URL (or -- COMMAND) to hammer (see leakslope hammer --help)")
	case len(pos) > 1:
		shown := make([]string, len(pos))
		for i, p := range pos {
			shown[i] = clean.URL(p)
		}
		return usageErr("hammer: one URL, got %d: %s", len(pos), strings.Join(shown, " "))
	default:
		u, err := url.Parse(pos[0])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErr("hammer: URL %q: want http://HOST[:PORT]/PATH", clean.URL(pos[0]))
		}
		opts := []runner.HTTPOption{runner.Timeout(*timeout)}
		if *data != "" {
			opts = append(opts, runner.Body([]byte(*data)))
		}
		for _, h := range headers {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return usageErr("hammer: -H %q: want 'Key: Value'", h)
			}
			opts = append(opts, runner.Header(strings.TrimSpace(k), strings.TrimSpace(v)))
		}
		if *status != "" {
			var codes []int
			for _, f := range strings.Split(*status, ",") {
				code, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || code < 100 || code > 999 {
					return usageErr("hammer: --status %q: %q is not an HTTP status code", *status, f)
				}
				codes = append(codes, code)
			}
			opts = append(opts, runner.ExpectStatus(codes...))
		}
		target = runner.HTTP(strings.ToUpper(*method), pos[0], opts...)
		// What every request would fail on is bad usage, not a failed run.
		if err := runner.Validate(target); errors.As(err, &fe) {
			return usageErr("hammer: %s %v: want %s", hammerFlags[fe.Field], fe.Value, fe.Want)
		} else if err != nil {
			return usageErr("hammer: %v", err)
		}
	}
	if *since != 0 {
		return usageErr("hammer: --since %v: history is for watch (leakslope watch --prometheus … --since D); a hammered run fits against its own ops", *since)
	}
	probes, err := w.probes("hammer", int64(c.maxInput))
	if err != nil {
		return err
	}
	opts, err := c.options("hammer")
	if err != nil {
		return err
	}
	opts = append(opts, w.budgets(true)...)
	opts = append(opts,
		leaktest.Workers(*workers), leaktest.Jobs(*jobs), leaktest.Wait(*wait),
		leaktest.MaxDuration(*maxDur), leaktest.MinOps(*minOps), leaktest.WarmUp(*warmUp),
		leaktest.WithoutHeap(), leaktest.WithoutGoroutines(), leaktest.WithoutResources(), leaktest.WithProbes(probes...),
		leaktest.StopAfterFailures(max(1000, int64(5**jobs))), leaktest.StallAfter(*stall))
	if *expect {
		opts = append(opts, leaktest.ExpectErrors())
	}
	if *all {
		opts = append(opts, leaktest.UntilAllDecided())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := newProgress(stderr)
	rep, err := leaktest.Run(ctx, target, append(opts, leaktest.Progress(p))...)
	p.done()
	return queryExit(finish(ctx, stdout, stderr, rep, err, c.json))
}

func processExists(pid int) (bool, error) {
	if pid <= 0 || pid > 1<<31-1 {
		return false, nil
	}
	return process.PidExists(int32(pid))
}

// labelName reports a Prometheus label name other than __name__.
func labelName(s string) bool {
	if s == "" || s == "__name__" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
