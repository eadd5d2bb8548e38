package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/safedir"
	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/leaktest"
)

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ", ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

// budgetFlag is a repeatable --budget, checked as it is parsed so the
// error names the flag and the column.
type budgetFlag []string

func (b *budgetFlag) String() string { return strings.Join(*b, ", ") }
func (b *budgetFlag) Set(s string) error {
	if _, err := leaktest.ParseBudget(s); err != nil {
		return err
	}
	*b = append(*b, s)
	return nil
}

// sizeFlag is a size in bytes, with a unit or none ("512MiB").
type sizeFlag int64

func (s *sizeFlag) String() string { return units.Bytes(float64(*s)) }
func (s *sizeFlag) Set(v string) error {
	n, err := units.ParseBytes(v)
	if err == nil && n < 1 {
		err = fmt.Errorf("%q: want ≥ 1 byte", v)
	}
	*s = sizeFlag(n)
	return err
}

// common holds the flags every command shares.
type common struct {
	budgets  budgetFlag
	json     string
	out      string
	name     string
	alpha    float64
	maxInput sizeFlag
	baseline string
	update   bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.Var(&c.budgets, "budget", "a budget `'PATTERN <= AMOUNT/PER'`, e.g. 'process.rss <= 1MiB/min' (repeatable; the first that matches a symbol applies)")
	fs.StringVar(&c.json, "json", "", "also write the report as JSON to `FILE`")
	fs.StringVar(&c.out, "out", "", "write the artifacts (report.json, report.html, profiles) to `DIR` (default $TMPDIR/leakslope-UID/NAME, private to you)")
	fs.StringVar(&c.name, "name", "", "name the run in the report and its artifacts directory")
	fs.Float64Var(&c.alpha, "alpha", leaktest.DefaultAlpha, "family-wise false-leak rate over all symbols")
	fs.StringVar(&c.baseline, "baseline", "", "also fail when a slope is credibly higher than in the baseline `FILE` (written by --update): \"was X, now Y\"")
	fs.BoolVar(&c.update, "update", false, "write the run's slopes to --baseline FILE instead of comparing with it")
	c.maxInput = dump.MaxInput
	fs.Var(&c.maxInput, "max-input", "the most one outside input may have, as read and as inflated: a dump file, a --pprof response, a --prometheus answer (`SIZE`: 512MiB, 1GiB)")
}

// options are the shared flags as leaktest options. --out and --json are
// checked now, before anything runs: a directory that is not this user's
// alone, a link, or a --json that names a directory is exit 2.
func (c *common) options(cmd string) ([]leaktest.Option, error) {
	var base []leaktest.Option
	switch {
	case c.update && c.baseline == "":
		return nil, usageErr("%s: --update writes the --baseline FILE, which is not given", cmd)
	case c.baseline != "":
		if fi, err := os.Stat(c.baseline); err == nil && fi.IsDir() {
			return nil, usageErr("%s: --baseline %s: a directory, want a file", cmd, c.baseline)
		}
		base = append(base, leaktest.Baseline(c.baseline))
		if c.update {
			base = append(base, leaktest.UpdateBaseline())
		}
	}
	if c.out != "" {
		if fi, err := os.Stat(c.out); err == nil && !fi.IsDir() {
			return nil, usageErr("%s: --out %s: not a directory", cmd, c.out)
		}
		d, err := safedir.Open(c.out, false)
		if err != nil {
			return nil, usageErr("%s: --out: %v", cmd, err)
		}
		d.Close()
	}
	if c.json != "" {
		if err := safedir.CheckFile(c.json); err != nil {
			return nil, usageErr("%s: --json: %v", cmd, err)
		}
	}
	name := c.name
	if name == "" {
		name = cmd
	}
	opts := append([]leaktest.Option{leaktest.Name(name), leaktest.Alpha(c.alpha)}, base...)
	if len(c.budgets) > 0 {
		opts = append(opts, leaktest.WithBudget(c.budgets...))
	}
	if c.out != "" {
		opts = append(opts, leaktest.ArtifactsDir(c.out))
	}
	if cmd == "analyze" {
		opts = append(opts, leaktest.MaxInput(int64(c.maxInput)))
	}
	return opts, nil
}

// cmdFlags is a command's flag set with its usage text. flag's own
// printing is off: parse prints --help's usage to stdout, and main an
// error once.
type cmdFlags struct {
	*flag.FlagSet
	usage string
}

func newFlagSet(name, usage string) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdFlags{FlagSet: fs, usage: usage}
}

func (fs *cmdFlags) printUsage(w io.Writer) {
	fmt.Fprint(w, fs.usage)
	fmt.Fprintln(w, "\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parse parses flags and positional arguments in any order, up to a "--";
// what follows "--" is returned apart. An error names the flag (flag's
// own wording) and points to --help.
func parse(fs *cmdFlags, args []string, stdout io.Writer) (pos, tail []string, help bool, err error) {
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			if len(tail) == 0 {
				tail = []string{}
			}
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage(stdout)
				return nil, nil, true, nil
			}
			return nil, nil, false, &exitError{code: exitUsage, err: fmt.Errorf("%s: %v (see leakslope %s --help)", fs.Name(), err, fs.Name())}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, tail, false, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
