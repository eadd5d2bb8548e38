package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/leakslope/leakslope/leaktest"
)

// finish prints the report, writes --json, and maps the outcome to an
// exit code: a leak is 1 whatever else happened, then a failed run 3.
func finish(ctx context.Context, stdout, stderr io.Writer, rep *leaktest.Report, err error, jsonPath string) error {
	if rep == nil {
		// Only bad options get no report at all.
		return &exitError{code: exitUsage, err: err}
	}
	fmt.Fprint(stdout, rep.String())
	if jsonPath != "" {
		if werr := writeJSON(jsonPath, rep); werr != nil {
			fmt.Fprintf(stderr, "leakslope: --json: %v\n", werr)
			if err == nil {
				err = werr
			}
		}
	}
	switch {
	case rep.Failed():
		return &exitError{code: exitLeak}
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
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
