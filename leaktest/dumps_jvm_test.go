package leaktest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
)

// jvmHistograms writes n class histograms derived from a real JDK 17 one
// (jcmd GC.class_histogram): LeakSvc$Session grows by 500 objects a dump,
// java.lang.invoke.MemberName (the JVM's own) by 300, the rest stay flat,
// and the Total line follows.
func jvmHistograms(t *testing.T, dir string, n int) []string {
	t.Helper()
	sample, err := os.ReadFile("../internal/dump/testdata/jvm/jcmd-17-loaded.txt")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`^(\s*\d+:\s+)(\d+)(\s+)(\d+)(\s+java\.lang\.invoke\.MemberName .*)$`)
	total := regexp.MustCompile(`^Total\s+(\d+)\s+(\d+)$`)
	var paths []string
	for i := 1; i <= n; i++ {
		sessions, members := 500*i, 300*i
		var b strings.Builder
		for _, line := range strings.Split(strings.TrimRight(string(sample), "\n"), "\n") {
			if m := row.FindStringSubmatch(line); m != nil {
				c, _ := strconv.Atoi(m[2])
				s, _ := strconv.Atoi(m[4])
				line = fmt.Sprintf("%s%d%s%d%s", m[1], c+members, m[3], s+48*members, m[5])
			}
			if m := total.FindStringSubmatch(line); m != nil {
				c, _ := strconv.Atoi(m[1])
				s, _ := strconv.Atoi(m[2])
				fmt.Fprintf(&b, " 541:        %6d        %7d  LeakSvc$Session\n", sessions, 24*sessions)
				line = fmt.Sprintf("Total %13d %14d", c+sessions+members, s+24*sessions+48*members)
			}
			b.WriteString(line + "\n")
		}
		path := filepath.Join(dir, fmt.Sprintf("histo-%d.txt", i))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// TestAnalyzeFilesJVMHistograms trends JVM class histograms: the leaking
// class is named as Java writes it, the JVM's own are no symbols (and
// their growth is warned of), the Total line is runtime.heap.bytes. With
// the ~470 classes of a real JVM, 6 dumps are too few to prove the leak
// (corrected over ~950 symbols) but rank it first; 8 decide.
func TestAnalyzeFilesJVMHistograms(t *testing.T) {
	dir := t.TempDir()
	paths := jvmHistograms(t, dir, 8)
	rep, err := leaktest.AnalyzeFiles(paths[:6], leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if text := rep.String(); len(rep.Leaks()) != 0 || !strings.Contains(text, "suspect 1: heap.bytes:LeakSvc.Session rose in 5 of 5 steps") || !strings.Contains(text, "8 dumps would decide") {
		t.Errorf("6 dumps: want no leak proven, LeakSvc.Session the first suspect and 8 dumps asked for:\n%s", text)
	}
	rep, err = leaktest.AnalyzeFiles(paths, leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	leaks := rep.Leaks()
	if len(leaks) == 0 || leaks[0].Symbol != "heap.bytes:LeakSvc.Session" || leaks[0].Decision != leaktest.Leak {
		t.Fatalf("the leaking class is not named:\n%s", rep)
	}
	var node bool
	for _, v := range rep.Verdicts {
		node = node || v.Symbol == "heap.bytes:java.util.HashMap.Node" && v.First == 154784 && v.Decision == leaktest.Within
		if strings.Contains(string(v.Symbol), "java.lang.invoke") {
			t.Errorf("the JVM's own class is a symbol: %s", v.Symbol)
		}
		if v.Symbol != "heap.bytes:LeakSvc.Session" && v.Symbol != "heap.objects:LeakSvc.Session" && v.Decision == leaktest.Leak {
			t.Errorf("%s: leak, of a flat class", v.Symbol)
		}
	}
	if !node {
		t.Errorf("no flat heap.bytes:java.util.HashMap.Node verdict (the class names are not Java's?)")
	}
	for i, s := range rep.Snapshots {
		if _, ok := s.Values[leaktest.SymRuntimeHeapBytes]; !ok {
			t.Errorf("snapshot %d has no %s", i, leaktest.SymRuntimeHeapBytes)
		}
	}
	if first, last := rep.Snapshots[0].Values[leaktest.SymRuntimeHeapBytes], rep.Snapshots[7].Values[leaktest.SymRuntimeHeapBytes]; first != 2054544+24*500+48*300 || last != 2054544+24*4000+48*2400 {
		t.Errorf("runtime.heap.bytes %v → %v", first, last)
	}
	var warned bool
	for _, w := range rep.Warnings {
		warned = warned || strings.Contains(w, "the JVM's own machinery is not trended") && strings.Contains(w, "they grew from")
	}
	if !warned {
		t.Errorf("no warning of the JVM's own classes growing: %q", rep.Warnings)
	}
}

// A class histogram's Total line, when it gives bytes, is
// runtime.heap.bytes: SOS's "Total N objects, M bytes" as a JVM's.
func TestAnalyzeFilesHeapTotalSOSAndJVM(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := 1; i <= 3; i++ {
		path := filepath.Join(dir, fmt.Sprintf("dumpheap-%d.log", i))
		text := fmt.Sprintf("MT Count TotalSize Class Name\n7ff0 %d %d App.Session\n7ff1 1 100 Free\nTotal %d objects, %d bytes\n", i, 48*i, i+1, 48*i+100)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	rep, err := leaktest.AnalyzeFiles(paths, leaktest.ArtifactsDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range rep.Snapshots {
		if got := s.Values[leaktest.SymRuntimeHeapBytes]; got != float64(48*(i+1)+100) {
			t.Errorf("dump %d: %s = %v", i+1, leaktest.SymRuntimeHeapBytes, got)
		}
		if _, ok := s.Values["heap.bytes:Free"]; ok {
			t.Errorf("dump %d: Free is a symbol", i+1)
		}
	}
}
