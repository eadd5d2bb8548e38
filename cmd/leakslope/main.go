// Command leakslope finds leaks in services from the outside: it hammers
// a service over HTTP (or runs a command per op), snapshots the memory of
// what it watches — a process by pid, a Go service by its pprof endpoint —
// at the quiesce points between rounds, and says which symbols keep
// growing. It also watches a service under its own load, and trends dump
// files taken elsewhere.
//
//	leakslope hammer [flags] URL
//	leakslope hammer [flags] -- COMMAND ARGS...
//	leakslope watch (--pid PID | --pprof BASEURL | --prometheus BASEURL --query PROMQL) [flags]
//	leakslope analyze [flags] FILE...
//
// Exit codes: 0 no leak, 1 leak found, 2 bad usage or bad input, 3 the
// run itself failed (the target died or stopped answering, or the run
// was interrupted before finding a leak).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/leakslope/leakslope/internal/clean"
)

func main() {
	os.Exit(exitCode(os.Stderr, run(os.Stdout, os.Stderr, os.Args[1:])))
}

// exitCode maps run's error to the exit code, printing its message.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var e *exitError
	if !errors.As(err, &e) {
		e = &exitError{code: exitFailed, err: err}
	}
	printErr(stderr, e.err)
	return e.code
}

// printErr writes an error as the CLI's one line, its outside text
// escaped for the terminal; nil writes nothing.
func printErr(stderr io.Writer, err error) {
	if err != nil {
		fmt.Fprintf(stderr, "leakslope: %s\n", clean.Terminal(err.Error()))
	}
}

// Exit codes, per the contract.
const (
	exitLeak   = 1
	exitUsage  = 2
	exitFailed = 3
)

// exitError carries an exit code; err, when set, is printed to stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

const topUsage = `leakslope finds what keeps growing in a service's memory.

usage:
  leakslope hammer [flags] URL              hammer an HTTP endpoint, watch --pid/--pprof
  leakslope hammer [flags] -- COMMAND ARGS  run a command per op instead
  leakslope watch (--pid PID | --pprof URL) watch a service under its own load
  leakslope analyze [flags] FILE...         trend dumps taken at intervals
  leakslope compare OLD.json NEW.json       slopes credibly higher than before

Run "leakslope COMMAND --help" for a command's flags and an example.
Exit codes: 0 no leak, 1 leak (compare: a regression), 2 bad usage or
input, 3 the run failed.
`

// run is the whole command: main only maps its error to an exit code.
func run(stdout, stderr io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return &exitError{code: exitUsage}
	}
	switch args[0] {
	case "hammer":
		return hammerCmd(stdout, stderr, args[1:])
	case "watch":
		return watchCmd(stdout, stderr, args[1:])
	case "analyze":
		return analyzeCmd(stdout, stderr, args[1:])
	case "compare":
		return compareCmd(stdout, stderr, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, topUsage)
		return nil
	}
	fmt.Fprint(stderr, topUsage)
	return usageErr("unknown command %q", args[0])
}
