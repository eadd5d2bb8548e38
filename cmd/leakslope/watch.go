package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/leakslope/leakslope/leaktest"
)

const watchUsage = `usage: leakslope watch (--pid PID | --pprof BASEURL | --prometheus BASEURL --query PROMQL) [flags]

Watches a service under its own load, with no hammer: a snapshot every
--interval, the x axis in seconds, budgets per s, min or h (by default no
growth at all). The first snapshot is the baseline; no verdict comes before
16 more. Stops at the first proven leak (exit 1), when every symbol is
decided, or at --max-duration; Ctrl-C stops it and prints the report so
far.

With --prometheus, each snapshot is an instant query of Prometheus's HTTP
API, and each series the query returns is a symbol, prom: and the series
as PromQL prints it. A malformed query exits 2; Prometheus not answering,
a query that returns no series or too many, exit 3 with the report so far.

examples:
  leakslope watch --pid 4242 --interval 10s --max-duration 30m \
      --budget 'process.rss <= 1MiB/min'
  leakslope watch --prometheus http://prometheus:9090 \
      --query 'process_resident_memory_bytes{job="api"}' \
      --interval 30s --max-duration 2h --budget 'prom:* <= 8MiB/h'
`

func watchCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("watch", watchUsage)
	var (
		c        common
		w        watched
		interval = fs.Duration("interval", leaktest.DefaultInterval, "time between snapshots")
		maxDur   = fs.Duration("max-duration", 5*time.Minute, "stop after `D` even if undecided (undecided passes)")
		all      = fs.Bool("all", false, "keep watching after a leak is proven, until every symbol is decided")
	)
	c.register(fs.FlagSet)
	w.register(fs.FlagSet)
	pos, tail, help, err := parse(fs, args, stdout)
	if err != nil || help {
		return err
	}
	switch {
	case len(pos) > 0 || tail != nil:
		return usageErr("watch: unexpected argument %q: watch takes only flags (see leakslope watch --help)", append(pos, tail...)[0])
	case *interval <= 0:
		return usageErr("watch: --interval %v: want > 0", *interval)
	case *maxDur <= 0:
		return usageErr("watch: --max-duration %v: want > 0", *maxDur)
	}
	for _, b := range c.budgets {
		if bb, _ := leaktest.ParseBudget(b); bb.PerTime == 0 {
			return usageErr("watch: --budget %q is per op, and watch counts no ops: give it per s, min or h", b)
		}
	}
	probes, err := w.probes("watch", int64(c.maxInput))
	if err != nil {
		return err
	}
	opts, err := c.options("watch")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts = append(opts, w.budgets(false)...)
	opts = append(opts, leaktest.Interval(*interval), leaktest.MaxDuration(*maxDur), leaktest.WithProbes(probes...))
	if *all {
		opts = append(opts, leaktest.UntilAllDecided())
	}
	p := newProgress(stderr)
	rep, err := leaktest.Watch(ctx, append(opts, leaktest.Progress(p))...)
	p.done()
	return queryExit(finish(ctx, stdout, stderr, rep, err, c.json))
}
