package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/leakslope/leakslope/leaktest"
)

const analyzeUsage = `usage: leakslope analyze [flags] FILE...

Trends dumps taken at intervals, given in the order they were taken: pprof
heap profiles (go tool pprof's .pb.gz, /debug/pprof/heap), goroutine dumps
(/debug/pprof/goroutine?debug=2 text), WinDbg/SOS "!dumpheap -stat"
logs (symbol = class name, values = TotalSize and Count) and JVM class
histograms ("jcmd PID GC.class_histogram", "jmap -histo PID"; symbol =
class name as Java writes it, values = #bytes and #instances; the JVM's
own java.lang.invoke and reflection classes left out). Slopes and
budgets are per dump (written per op). A handful of dumps may be too few
to prove a leak: then the report ranks the suspects by how steadily they
grew and says how many more dumps would decide.

example:
  leakslope analyze heap-1.pb.gz heap-2.pb.gz heap-3.pb.gz heap-4.pb.gz
  leakslope analyze --budget 'heap.bytes:* <= 1KiB/op' dumpheap-*.log
  jcmd PID GC.class_histogram > histo-1.txt   # and so on, between rounds
  leakslope analyze histo-1.txt histo-2.txt histo-3.txt histo-4.txt
`

func analyzeCmd(stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("analyze", analyzeUsage)
	var c common
	c.register(fs.FlagSet)
	maxSymbols := fs.Int("max-symbols", leaktest.DefaultMaxSymbols, "trend at most `N` symbols of a kind by name (those that grew most); sum the rest as KIND:(others)")
	pos, tail, help, err := parse(fs, args, stdout)
	if err != nil || help {
		return err
	}
	files := append(pos, tail...)
	if len(files) == 0 {
		return usageErr("analyze: no dump files (see leakslope analyze --help)")
	}
	for _, b := range c.budgets {
		if bb, _ := leaktest.ParseBudget(b); bb.PerTime > 0 {
			return usageErr("analyze: --budget %q is per time; dumps are counted, not timed: give it per op (per dump)", b)
		}
	}
	copts, err := c.options("analyze")
	if err != nil {
		return err
	}
	if *maxSymbols < 1 {
		return usageErr("analyze: --max-symbols %d: want ≥ 1", *maxSymbols)
	}
	rep, err := leaktest.AnalyzeFiles(files, append(copts, leaktest.MaxSymbols(*maxSymbols))...)
	if rep == nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("analyze: %w", unwrapOnce(err))}
	}
	ferr := finish(context.Background(), stdout, stderr, rep, nil, c.json)
	if err != nil {
		// Malformed input: what could be read was trended above, and the
		// exit is 2 (bad input) whatever it showed; a --json that could
		// not be written is said too.
		var e *exitError
		if errors.As(ferr, &e) {
			printErr(stderr, e.err)
		}
		return &exitError{code: exitUsage, err: fmt.Errorf("analyze: %w", unwrapOnce(err))}
	}
	return ferr
}

// unwrapOnce drops the library's "leaktest.AnalyzeFiles: " prefix: the
// command names itself.
func unwrapOnce(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
