package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// chromiumDOM loads a file in headless Chromium and returns the DOM, as a
// person's browser would render it. Missing Chromium fails in CI (.ci/run
// installs it) and skips elsewhere, saying how to get it.
func chromiumDOM(t *testing.T, path string) string {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium not found; .ci/run installs it")
		}
		t.Skip("chromium not installed (apt-get install -y chromium); CI runs this check")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+path).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return string(out)
}
