package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/leakslope/leakslope/internal/safedir"
	"github.com/leakslope/leakslope/leaktest"
	"io"
)

// finish prints the report, writes --json, and maps the outcome to an
// exit code: a leak is 1 whatever else happened, then a failed run 3.
func finish(ctx context.Context, stdout, stderr io.Writer, rep *leaktest.Report, err error, jsonPath string) error {
	if rep == nil {
		// Only bad options get no report at all.
		return &exitError{code: exitUsage, err: err}
	}
	fmt.Fprint(stdout, rep.String())
	var jerr error
	if jsonPath != "" {
		if werr := writeJSON(jsonPath, rep); werr != nil {
			jerr = fmt.Errorf("--json: %w", werr)
		}
	}
	switch {
	case rep.Failed():
		printErr(stderr, jerr) // the leak's exit code wins
		return &exitError{code: exitLeak}
	case jerr != nil:
		return &exitError{code: exitFailed, err: jerr}
	case ctx.Err() != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("interrupted: the report above is partial")}
	case err != nil:
		return &exitError{code: exitFailed, err: err}
	}
	return nil
}

func writeJSON(path string, rep *leaktest.Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	f, err := safedir.CreateFile(path)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
