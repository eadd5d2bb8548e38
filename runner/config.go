package runner

import (
	"fmt"
	"time"

	"github.com/leakslope/leakslope/internal/units"
)

// Config is the shape of the load: the seed's -t, -n and -w.
type Config struct {
	Workers int           // t: ops in flight at once; default 4
	Jobs    int           // n: ops per round; default 100
	Wait    time.Duration // w: pause between rounds; default 0
	// KeepErrors is how many op errors are kept with their op number
	// (all are counted); default 5.
	KeepErrors int
	// Grace is how long a round waits, once its context is done, for ops
	// already running to return; past it Round gives up with a
	// *StuckError. Default 10s.
	Grace time.Duration
	// Stall is how long a round may have ops in flight with none of them
	// completing before Round gives up with a *StallError, at once and
	// without waiting for them: the target stopped answering (a lock
	// never released; an op that leaks file descriptors blocks for good
	// once RLIMIT_NOFILE is reached). The threshold adapts to slow
	// targets: it is the larger of Stall and 10 × the slowest op
	// completed so far in the hammer's life, and 5 × Stall until the
	// first op has completed (cold starts are slow). Ops are timed
	// without a clock read per op, by the watcher's ticks (10–25ms
	// apart), rounded up: so the threshold is never under about 10
	// ticks once an op has completed. Default 2s; < 0 turns the check
	// off.
	Stall time.Duration
}

// Defaults of Config, the seed's hammer of 4 workers with rounds large
// enough that a quiesce point costs little per op.
const (
	DefaultWorkers    = 4
	DefaultJobs       = 100
	DefaultKeepErrors = 5
	DefaultGrace      = 10 * time.Second
	DefaultStall      = 2 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.Jobs == 0 {
		c.Jobs = DefaultJobs
	}
	if c.KeepErrors == 0 {
		c.KeepErrors = DefaultKeepErrors
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.Stall == 0 {
		c.Stall = DefaultStall
	}
	return c
}

// Limits of the hammer's shape: past them a Config is a mistake (a
// million workers are a million goroutines), not a load.
const (
	MaxWorkers = 10_000
	MaxJobs    = 10_000_000
	MaxWait    = time.Hour
)

// FieldError is a Config field whose value cannot work. Callers that take
// the value from a user (leaktest's options, the CLI's flags) name it
// their own way from Field and Want.
type FieldError struct {
	Field string // the Config field: "Workers", "Jobs", "Wait", …
	Value any
	Want  string // what would work: "1 to 10,000 (0: the default, 4)"
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("runner: %s = %v, want %s", e.Field, e.Value, e.Want)
}

// Validate names the first field that cannot work, as a *FieldError. A
// zero field is its default; any Stall works (< 0 turns stall detection
// off). It is the one check of the hammer's limits: leaktest and the CLI
// use it.
func (c Config) Validate() error {
	switch {
	case c.Workers < 0 || c.Workers > MaxWorkers:
		return &FieldError{"Workers", c.Workers, fmt.Sprintf("1 to %s (0: the default, %d)", units.Group(MaxWorkers), DefaultWorkers)}
	case c.Jobs < 0 || c.Jobs > MaxJobs:
		return &FieldError{"Jobs", c.Jobs, fmt.Sprintf("1 to %s (0: the default, %d)", units.Group(MaxJobs), DefaultJobs)}
	case c.Wait < 0 || c.Wait > MaxWait:
		return &FieldError{"Wait", c.Wait, fmt.Sprintf("0 to %v", MaxWait)}
	case c.Grace < 0:
		return &FieldError{"Grace", c.Grace, fmt.Sprintf("≥ 0 (0: the default, %v)", DefaultGrace)}
	case c.KeepErrors < 0:
		return &FieldError{"KeepErrors", c.KeepErrors, fmt.Sprintf("≥ 0 (0: the default, %d)", DefaultKeepErrors)}
	}
	return nil
}

func (c Config) String() string {
	c = c.withDefaults()
	w := "workers"
	if c.Workers == 1 {
		w = "worker"
	}
	s := fmt.Sprintf("%d %s × %d jobs/round", c.Workers, w, c.Jobs)
	if c.Wait > 0 {
		s += fmt.Sprintf(", %v wait", c.Wait)
	}
	return s
}
