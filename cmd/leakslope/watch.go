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

const watchUsage = `usage: leakslope watch (--pid PID | --pprof BASEURL | --prometheus BASEURL --query PROMQL [--since D] |
                       --jvm PID | --histogram COMMAND) [flags]

Watches a service under its own load, with no hammer: a snapshot every
--interval, the x axis in seconds, budgets per s, min or h (by default no
growth at all). The first snapshot is the baseline; no verdict comes before
16 more. Stops at the first proven leak (exit 1), when every symbol is
decided, or at --max-duration; Ctrl-C stops it and prints the report so
far.

With --prometheus, each snapshot is an instant query of Prometheus's HTTP
API, and each series the query returns is a symbol, prom: and the series
as PromQL prints it. --since D first reads the last D of history with
range queries (step --interval, or coarser: Prometheus gives at most 11,000
points a series) and decides at once; then it watches live for what is
undecided, up to --max-duration (0s: the history alone). A series missing
from a scrape is a gap; a drop of more than half is a restart (an OOM
kill, a deploy): the slope is fitted between restarts. --group-by pools
the series of a deployment; --limit-query says when a leak reaches its
limit. A malformed query exits 2; Prometheus not answering, slow, or a
query that returns no series or too many, exit 3 with the report so far.

With --jvm PID or --histogram COMMAND, each snapshot is a class histogram
(see leakslope hammer --help); a snapshot that takes long stretches the
interval, so that the watched service is not kept collecting.

examples:
  leakslope watch --jvm 4242 --interval 30s --max-duration 1h
  leakslope watch --pid 4242 --interval 10s --max-duration 30m \
      --budget 'process.rss <= 1MiB/min'
  leakslope watch --prometheus http://prometheus:9090 \
      --query 'process_resident_memory_bytes{job="api"}' --since 12h \
      --budget 'prom:* <= 8MiB/h'
  leakslope watch --prometheus http://prometheus:9090 \
      --query 'container_memory_working_set_bytes{namespace="staging"}' \
      --since 6h --max-duration 0s --group-by deployment \
      --limit-query 'container_spec_memory_limit_bytes{namespace="staging"}'
`

func watchCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("watch", watchUsage)
	var (
		c        common
		w        watched
		interval = fs.Duration("interval", leaktest.DefaultInterval, "time between snapshots")
		maxDur   = fs.Duration("max-duration", 5*time.Minute, "stop after `D` even if undecided (undecided passes); with --since, the live part after the history (0s: none)")
		since    = fs.Duration("since", 0, "with --prometheus, first read the last `D` of history (12h) and decide on it")
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
	case *since < 0:
		return usageErr("watch: --since %v: want > 0", *since)
	case *since > 0 && w.prometheus == "":
		return usageErr("watch: --since is for --prometheus (only Prometheus keeps a history)")
	case *maxDur < 0 || *maxDur == 0 && *since == 0:
		return usageErr("watch: --max-duration %v: want > 0 (0s only with --since: the history alone)", *maxDur)
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
	if *since > 0 {
		opts = append(opts, leaktest.Since(*since))
	}
	if *all {
		opts = append(opts, leaktest.UntilAllDecided())
	}
	p := newProgress(stderr)
	rep, err := leaktest.Watch(ctx, append(opts, leaktest.Progress(p))...)
	p.done()
	return queryExit(finish(ctx, stdout, stderr, rep, err, c.json))
}
