package retain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSourcesOlderThan: a Go file of the module changed after the test
// binary was built refuses the relink (its variables may have moved), and
// testdata does not count.
func TestSourcesOlderThan(t *testing.T) {
	mod := t.TempDir()
	write := func(rel string, mtime time.Time) {
		path := filepath.Join(mod, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("package x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	built := time.Now().Add(-time.Hour)
	write("go.mod", built.Add(-time.Hour))
	write("pkg/a.go", built.Add(-time.Minute))
	write("other/b.go", built.Add(-time.Minute))
	write("pkg/testdata/c.go", built.Add(time.Minute))
	write("x.test", built)
	t.Chdir(filepath.Join(mod, "pkg"))
	exe := filepath.Join(mod, "x.test")
	if err := sourcesOlderThan(exe); err != nil {
		t.Fatalf("sources older than the binary: %v", err)
	}
	write("other/b.go", built.Add(time.Minute))
	if err := sourcesOlderThan(exe); err == nil || !strings.Contains(err.Error(), filepath.Join("other", "b.go")+" changed after the test was built") {
		t.Fatalf("a newer file elsewhere in the module: %v", err)
	}
}
