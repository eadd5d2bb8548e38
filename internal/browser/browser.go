// Package browser runs headless Chromium for tests that look at a page as
// a person would. Tests only.
package browser

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Find returns Chromium's path. .ci/run installs Debian's chromium, so
// missing in CI it is a failure; on a developer's machine, a skip that
// says how to get it.
func Find(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found; .ci/run installs it (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed (apt-get install -y chromium); CI runs this test")
	return ""
}

// Headless runs Chromium headless with a fresh profile and no background
// networking (the machine's closed network refuses it), returning stdout.
func Headless(t testing.TB, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// DOM loads a file and returns the DOM as the browser rendered it.
func DOM(t testing.TB, path string) string {
	t.Helper()
	return string(Headless(t, Find(t), "--dump-dom", "file://"+path))
}
