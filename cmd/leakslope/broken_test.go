package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// A target that never worked is a failed run (exit 3), with its op errors
// first, found in one round, not a pass: an endpoint that hangs (each
// request times out), and a command that never ends (--timeout kills it).
func TestTargetThatNeverWorkedExits3(t *testing.T) {
	url, svc := goService(t)
	pid := fmt.Sprint(svc.Process.Pid)
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"hanging-endpoint", []string{"--timeout", "300ms", "-n", "8", url + "/hang"}, "deadline exceeded"},
		{"command-that-never-ends", []string{"--timeout", "300ms", "-n", "8", "--", "sleep", "987654"}, "op timed out after 300ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			js := filepath.Join(dir, "r.json")
			stdout, stderr, code := cli(t, append([]string{"hammer", "--pid", pid, "--max-duration", "60s", "--out", dir, "--json", js}, tc.args...)...)
			if code != 3 {
				t.Fatalf("exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, "the target failed 8 of its 8 ops") || !strings.Contains(stdout, "\nop errors: 8 of 8 ops\n") || !strings.Contains(stdout, tc.err) {
				t.Errorf("want the op errors (%q) first:\nstdout:\n%s\nstderr:\n%s", tc.err, stdout, stderr)
			}
			if r := readJSON(t, js); r.Ops != 8 {
				t.Errorf("ran %d ops: one round of 8 shows the target never worked", r.Ops)
			}
		})
	}
}
