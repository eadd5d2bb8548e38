package leaktest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// sosLog writes a `!dumpheap -stat` log whose MyService.Session count
// grows with i.
func sosLog(t *testing.T, dir string, i int) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("dumpheap-%d.log", i))
	n := 1000 * i
	text := fmt.Sprintf(`0:000> !dumpheap -stat
Statistics:
              MT    Count    TotalSize Class Name
00007ffa1b2c0010        1           24 System.Object
00007ffa0c4d7e30     %d        %d MyService.Session
Total %d objects
`, n, 48*n, n+1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every file AnalyzeFiles reads is bounded by MaxInput, read and inflated
// alike; a file over it, missing or a directory is an error naming it, and
// the rest are trended all the same.
func TestAnalyzeFilesBoundsEveryInput(t *testing.T) {
	dir := t.TempDir()
	var member, bomb bytes.Buffer // 64 MiB of zeros, gzipped
	zw := gzip.NewWriter(&member)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	for i := 0; i < 64; i++ {
		bomb.Write(member.Bytes())
	}
	bombPath := filepath.Join(dir, "bomb.pb.gz")
	os.WriteFile(bombPath, bomb.Bytes(), 0o644)
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	var paths []string
	for i := 1; i <= 6; i++ {
		paths = append(paths, sosLog(t, dir, i))
	}
	missing := filepath.Join(dir, "missing.log")
	paths = append(paths, "/dev/zero", bombPath, missing, sub)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep, err := leaktest.AnalyzeFiles(paths, leaktest.MaxInput(1<<20), leaktest.ArtifactsDir(t.TempDir()))
	runtime.ReadMemStats(&after)
	if rep == nil || err == nil {
		t.Fatalf("report %v, err %v", rep, err)
	}
	for _, want := range []string{"/dev/zero is over the 1 MiB limit of an input", bombPath + " inflates to over the 1 MiB limit of an input",
		missing + ": no such file or directory", sub + ": is a directory"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}
	if len(rep.Snapshots) != 6 || len(rep.Leaks()) == 0 || rep.Leaks()[0].Symbol != "heap.bytes:MyService.Session" {
		t.Errorf("the good files were not trended: %d snapshots\n%s", len(rep.Snapshots), rep)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 32<<20 {
		t.Errorf("allocated %d MiB reading inputs bounded to 1 MiB", d>>20)
	}
	// The bound belongs to AnalyzeFiles alone.
	_, err = leaktest.Run(context.Background(), runner.Func(func(context.Context, int) error { return nil }), leaktest.MaxInput(1<<20))
	if err == nil || !strings.Contains(err.Error(), "option MaxInput does not apply to Run (they bound AnalyzeFiles' dump files") {
		t.Errorf("MaxInput in Run: %v", err)
	}
}

// A dump of many classes costs what is shown: past MaxSymbols per kind,
// the classes that grew most are trended by name (a leak among them is
// still found by name) and the rest summed, and the report says so.
func TestAnalyzeFilesCapsTheSymbolsOfAKind(t *testing.T) {
	dir := t.TempDir()
	const classes = 5000
	var paths []string
	for d := 1; d <= 8; d++ {
		var b strings.Builder
		b.WriteString("MT Count TotalSize Class Name\n")
		for c := 0; c < classes; c++ {
			n := 1 + c%7 // flat
			if c == 1234 {
				n = 100 * d // the leak
			}
			fmt.Fprintf(&b, "7ff%05x %d %d App.Class%d\n", c, n, 24*n, c)
		}
		path := filepath.Join(dir, fmt.Sprintf("%d.log", d))
		os.WriteFile(path, []byte(b.String()), 0o644)
		paths = append(paths, path)
	}
	out := t.TempDir()
	rep, err := leaktest.AnalyzeFiles(paths, leaktest.MaxSymbols(100), leaktest.ArtifactsDir(out))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Verdicts); n > 2*101 {
		t.Errorf("%d verdicts for a cap of 100 per kind", n)
	}
	if l := rep.Leaks(); len(l) == 0 || l[0].Symbol != "heap.bytes:App.Class1234" {
		t.Errorf("the leak is not found by name:\n%s", rep)
	}
	want := "5,000 heap.bytes symbols: the 100 that grew most are trended by name, the other 4,900 summed as heap.bytes:(others)"
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.HasPrefix(w, want) }) {
		t.Errorf("no warning %q in %q", want, rep.Warnings)
	}
	if fi, err := os.Stat(filepath.Join(out, "report.json")); err != nil || fi.Size() > 1<<20 {
		t.Errorf("report.json: %v, %v bytes", err, fi.Size())
	}
}
