package leaktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"go.uber.org/goleak"

	"github.com/leakslope/leakslope/runner"
)

// Option configures Run and Check.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// namedOption is an option with its name, so that an entry point can
// refuse one that does not apply to it, as goleak refuses a misplaced
// option.
type namedOption struct {
	name string
	f    func(*config)
}

func (o namedOption) apply(c *config) {
	c.given = append(c.given, o.name)
	o.f(c)
}

func option(name string, f func(*config)) Option { return namedOption{name, f} }

// hammerOptions shape the hammer or the in-process run: a watch and an
// analysis have neither.
var hammerOptions = []string{"Workers", "Jobs", "Wait", "MinOps", "WarmUp", "SnapshotEvery", "StopAfterFailures",
	"Teardown", "VerifyNone", "WithoutHeap", "WithoutGoroutines", "WithoutResources", "StallAfter", "ExpectErrors"}

// refuse adds an error for each given option among names: it does not
// apply to entry (why says why).
func (c *config) refuse(entry, why string, names ...string) {
	for _, n := range c.given {
		if slices.Contains(names, n) {
			c.errs = append(c.errs, fmt.Errorf("option %s does not apply to %s (%s)", n, entry, why))
		}
	}
}

type config struct {
	hammer            runner.Config
	maxDuration       time.Duration
	since             time.Duration // Watch: history to read first
	minOps            int64
	warmUp            int64
	spacing           int64
	alpha             float64
	budgets           []Budget
	probes            []Probe
	noHeap            bool
	noHeldBy          bool
	noGoroutine       bool
	artifacts         string
	artifactsIsRoot   bool    // artifacts is a root: the run writes to a NAME subdirectory
	testArtifacts     string  // go test -artifacts' directory for this test (Check)
	baseline          string  // Baseline's path
	baselineTol       float64 // BaselineTolerance; < 0 for the default
	update            bool    // -leakslope.update, LEAKSLOPE_UPDATE: write the baseline
	maxInput          int64   // MaxInput: AnalyzeFiles' bound on a file
	maxSymbols        int     // MaxSymbols: AnalyzeFiles' symbols by name per kind
	name              string
	progress          io.Writer
	ctx               context.Context
	errs              []error
	capTo             time.Duration // hard cap from the test deadline
	interval          time.Duration // Watch: between snapshots
	stopAfterFailures int64
	teardown          []func()
	goleak            bool
	goleakOpts        []goleak.Option
	tolerances        []Budget
	untilAll          bool     // UntilAllDecided
	expectErrors      bool     // ExpectErrors
	noResources       bool     // WithoutResources
	given             []string // the names of the options given, in order
}

// Defaults.
const (
	DefaultMaxDuration = 30 * time.Second
	DefaultMinOps      = 10_000
	DefaultWarmUp      = 1_000
	DefaultAlpha       = 0.05
	DefaultInterval    = time.Second
)

func newConfig(opts []Option) *config {
	c := &config{
		maxDuration: DefaultMaxDuration,
		minOps:      DefaultMinOps,
		warmUp:      DefaultWarmUp,
		alpha:       DefaultAlpha,
		interval:    DefaultInterval,
		baselineTol: -1,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	c.applyEnv()
	if c.capTo > 0 && c.capTo < c.maxDuration {
		c.maxDuration = c.capTo
	}
	return c
}

// addDefaults appends the default budgets and tolerances after the
// user's, so that a user's matching a symbol wins.
func (c *config) addDefaults(budgets, tolerances []string) {
	c.budgets = append(c.budgets, mustParse(budgets)...)
	c.tolerances = append(c.tolerances, mustParse(tolerances)...)
}

func mustParse(texts []string) []Budget {
	var out []Budget
	for _, text := range texts {
		b, err := ParseBudget(text)
		if err != nil {
			panic(err) // the defaults are constants; a test parses them all
		}
		out = append(out, b)
	}
	return out
}

func (c *config) err() error { return errors.Join(c.errs...) }

// Workers sets how many ops are in flight at once (the seed's -t); 4
// (also for 0). runner.Config.Validate bounds it.
func Workers(n int) Option {
	return option("Workers", func(c *config) { c.hammer.Workers = n })
}

// Jobs sets the ops per round (the seed's -n); 100 (also for 0). Snapshots
// are taken between rounds, so it is also the finest snapshot spacing.
func Jobs(n int) Option {
	return option("Jobs", func(c *config) { c.hammer.Jobs = n })
}

// Wait sets the pause between rounds (the seed's -w); none.
func Wait(d time.Duration) Option {
	return option("Wait", func(c *config) { c.hammer.Wait = d })
}

// checkHammer checks the hammer's shape by runner's rule, naming the
// option that set a field that cannot work.
func (c *config) checkHammer() {
	err := c.hammer.Validate()
	var fe *runner.FieldError
	switch {
	case errors.As(err, &fe):
		name := map[string]string{"Stall": "StallAfter"}[fe.Field]
		if name == "" {
			name = fe.Field
		}
		c.errs = append(c.errs, fmt.Errorf("leaktest.%s(%v): want %s", name, fe.Value, fe.Want))
	case err != nil:
		c.errs = append(c.errs, err)
	}
}

// MaxDuration caps the run; 30s. A run still undecided at the cap passes
// and reports the largest slope it could not rule out. The environment
// variable LEAKSLOPE_MAX_DURATION and the test flag
// -leakslope.max-duration override it, so a nightly soak can run for an
// hour with no code change. A Watch with Since caps its live part (after
// the history): 0 there decides on the history alone.
func MaxDuration(d time.Duration) Option {
	return option("MaxDuration", func(c *config) {
		if d < 0 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.MaxDuration(%v): want > 0", d))
		}
		c.maxDuration = d
	})
}

// Since makes Watch read the last d of history first, from its probe
// that can (a Historian: probe.Prometheus's range query), and decide on
// it at once; then, if anything is undecided, it snapshots live every
// Interval until MaxDuration (0: not at all). The history's step is
// Interval, or coarser where the probe must ask for fewer points.
func Since(d time.Duration) Option {
	return option("Since", func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.Since(%v): want > 0", d))
		}
		c.since = d
	})
}

// MinOps sets how many ops after warm-up must run before any verdict;
// 10,000. Until a cache has filled it looks exactly like a leak; this is
// the largest cache (in entries added per op) that is sure not to fail a
// run. Lower it for slow targets, raise it for bigger caches.
// LEAKSLOPE_MIN_OPS overrides it.
func MinOps(n int64) Option {
	return option("MinOps", func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.MinOps(%d): want ≥ 0", n))
		}
		c.minOps = n
	})
}

// WarmUp sets how many ops run before the first snapshot that is fitted;
// 1,000. It is for one-time initialization (lazy globals, sync.Once, pools
// sized to the workers, first connections), which depends only on running
// at all; growth that takes longer is a cache, and caches are the
// persistence rule's business, not warm-up's.
func WarmUp(ops int64) Option {
	return option("WarmUp", func(c *config) {
		if ops < 0 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.WarmUp(%d): want ≥ 0", ops))
		}
		c.warmUp = ops
	})
}

// SnapshotEvery sets the initial ops between snapshots (rounded up to whole
// rounds); by default MinOps/32, so that the first possible verdict has
// about 32 points. It doubles each time old snapshots are thinned. A slow
// snapshot (the WithProbes probes take 100 ms or more: a JVM's class
// histogram, a command; the in-process probes' cost never counts) is also
// followed by at least 3× its cost of hammering, so snapshotting stays
// ≤ ~25% of the run; near MaxDuration, closer, when that is what gets the
// run the snapshots a verdict needs. With slow snapshots a verdict needs
// 16 fitted snapshots, as a Watch's, not a fit's 8.
func SnapshotEvery(ops int64) Option {
	return option("SnapshotEvery", func(c *config) {
		if ops < 1 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.SnapshotEvery(%d): want ≥ 1", ops))
		}
		c.spacing = ops
	})
}

// Alpha sets the family-wise false-leak rate of a run, over all symbols
// and all looks; 0.05.
func Alpha(a float64) Option {
	return option("Alpha", func(c *config) {
		if !(a > 0 && a < 1) {
			c.errs = append(c.errs, fmt.Errorf("leaktest.Alpha(%g): want 0 < α < 1", a))
		}
		c.alpha = a
	})
}

// WithBudget adds budgets, each "PATTERN <= AMOUNT/PER" (see Budget). The
// first user budget whose pattern matches a symbol applies; the defaults
// apply to symbols none matches.
func WithBudget(budgets ...string) Option {
	return option("WithBudget", func(c *config) {
		for _, text := range budgets {
			b, err := ParseBudget(text)
			if err != nil {
				c.errs = append(c.errs, fmt.Errorf("leaktest.WithBudget: %w", err))
				continue
			}
			c.budgets = append(c.budgets, b)
		}
	})
}

// WithProbes adds probes (Gauge, or your own) to the built-in heap and
// goroutine probes.
func WithProbes(probes ...Probe) Option {
	return option("WithProbes", func(c *config) {
		for _, p := range probes {
			if p == nil {
				c.errs = append(c.errs, errors.New("leaktest.WithProbes: nil probe"))
				continue
			}
			c.probes = append(c.probes, p)
		}
	})
}

// WithoutHeap leaves out the in-process heap probe (and MemProfileRate=1).
func WithoutHeap() Option { return option("WithoutHeap", func(c *config) { c.noHeap = true }) }

// WithoutHeldBy leaves out what holds the heap leaks (Verdict.HeldBy): no
// heap dump is written at the end of a run with a heap leak (the world is
// stopped while it is, for about a second per 100 MiB of heap, and the
// file is as large as the heap), and no service is asked.
func WithoutHeldBy() Option {
	return option("WithoutHeldBy", func(c *config) { c.noHeldBy = true })
}

// WithoutGoroutines leaves out the goroutine probe.
func WithoutGoroutines() Option {
	return option("WithoutGoroutines", func(c *config) { c.noGoroutine = true })
}

// ArtifactsDir sets where the heap profiles and report.json are written;
// by default NAME under this user's private $TMPDIR/leakslope-UID (0700).
// LEAKSLOPE_ARTIFACTS and the test flag -leakslope.artifacts override it
// (then NAME is a subdirectory). A directory that is a symbolic link, is
// owned by another user or is writable by others is an error before the
// run starts: nothing another user could redirect, read or replace is
// written to. Files are created afresh (never through a link), 0644, and
// directories the run makes 0755.
func ArtifactsDir(dir string) Option {
	return option("ArtifactsDir", func(c *config) { c.artifacts = dir })
}

// Name names the run in messages and its artifacts directory; Check uses
// the test's name.
func Name(name string) Option {
	return option("Name", func(c *config) { c.name = name })
}

// Progress writes a line at each look of the run: ops, elapsed time,
// snapshots, symbols still undecided.
func Progress(w io.Writer) Option {
	return option("Progress", func(c *config) { c.progress = w })
}

// Context makes the hammer honour ctx as well as Run's own context (a
// Ginkgo SpecContext, a test's context): when either ends, the run stops
// within one op and the report so far is kept.
func Context(ctx context.Context) Option {
	return option("Context", func(c *config) { c.ctx = ctx })
}

// Interval sets the time between snapshots of Watch; 1s. A slow snapshot
// (100 ms or more) is followed by at least 3× its cost of waiting, and the
// report says so. (A hammered run snapshots at quiesce points instead: see
// SnapshotEvery.)
func Interval(d time.Duration) Option {
	return option("Interval", func(c *config) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.Interval(%v): want > 0", d))
		}
		c.interval = d
	})
}

// StopAfterFailures ends the run with an error, and the report so far,
// once n ops in a row have failed (counted in whole rounds): a service
// that stopped answering is not worth hammering. Off by default, since an
// in-process target may fail every op on purpose; the CLI sets it.
func StopAfterFailures(n int64) Option {
	return option("StopAfterFailures", func(c *config) {
		if n < 0 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.StopAfterFailures(%d): want ≥ 0", n))
		}
		c.stopAfterFailures = n
	})
}

// Tolerance sets how precisely a noisy series must be pinned down to be
// within budget, each "PATTERN <= AMOUNT/PER": a series that goes up and
// down (a router's buffers, a janitor's evictions) never shows an upper
// bound of exactly its budget, so it is within once the bound is at or
// under budget + AMOUNT and its recent part does not grow. The pass
// message says what was ruled out: "no leak over 0.03 B/op". Exact series
// (a clean site is constant, a leak of whole objects only ever rises) are
// not affected. The first matching pattern applies, then
// DefaultTolerances (DefaultWatchTolerances for Watch); "PATTERN <= 0/op"
// asks a noisy series for an upper bound at its budget, however long that
// takes.
func Tolerance(tolerances ...string) Option {
	return option("Tolerance", func(c *config) {
		for _, text := range tolerances {
			b, err := ParseBudget(text)
			if err != nil { // a negative one among them
				c.errs = append(c.errs, fmt.Errorf("leaktest.Tolerance: %w", err))
				continue
			}
			c.tolerances = append(c.tolerances, b)
		}
	})
}

// UntilAllDecided keeps hammering after a leak is proven, until every
// symbol is decided (or MaxDuration), so the report has every verdict. By
// default a run stops at the look that proves a leak: the report then
// keeps every other symbol's state, undecided ones included.
func UntilAllDecided() Option {
	return option("UntilAllDecided", func(c *config) { c.untilAll = true })
}

// ExpectErrors says the target's ops may fail on purpose. By default a run
// whose ops mostly failed has proven nothing about the target and is a
// failed run (an error, with the op errors first), and ops that start
// failing after a phase of working break the run (see Break).
func ExpectErrors() Option { return option("ExpectErrors", func(c *config) { c.expectErrors = true }) }

// WithoutResources leaves out the in-process probe of what the test
// process can run out of: open files (process.fds) and OS threads
// (process.threads), and the memory limit the heap is held against.
func WithoutResources() Option {
	return option("WithoutResources", func(c *config) { c.noResources = true })
}

// StallAfter sets how long a round may go without any op completing
// before the target is stalled (runner.Config.Stall); 2s, and never less
// than ten times the slowest op seen. A stall breaks the run: it is
// decided on the data so far and the report leads with the stall.
// A negative d turns stall detection off.
func StallAfter(d time.Duration) Option {
	return option("StallAfter", func(c *config) { c.hammer.Stall = d })
}

// MaxInput bounds what AnalyzeFiles reads of each dump file, and what a
// gzipped one may inflate to; 256 MiB. A file over it is an error naming
// the file and the bound (the other files are still trended).
func MaxInput(bytes int64) Option {
	return option("MaxInput", func(c *config) {
		if bytes < 1 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.MaxInput(%d): want ≥ 1", bytes))
		}
		c.maxInput = bytes
	})
}

// MaxSymbols sets how many symbols of each kind AnalyzeFiles trends by
// name; DefaultMaxSymbols (1,000). Past it, the ones that grew most from
// the first dump to the last are kept, and the rest of the kind is summed
// as KIND:(others), with a warning: a dump of 200,000 classes costs what
// is shown, not more.
func MaxSymbols(n int) Option {
	return option("MaxSymbols", func(c *config) {
		if n < 1 {
			c.errs = append(c.errs, fmt.Errorf("leaktest.MaxSymbols(%d): want ≥ 1", n))
		}
		c.maxSymbols = n
	})
}

// joinContext makes ctx end when the Context option's context ends too.
func (c *config) joinContext(ctx context.Context) (context.Context, func()) {
	if c.ctx == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}
