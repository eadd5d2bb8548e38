package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAnalyzeJVMHistograms trends testdata/dumps/histo-*.txt: six
// `jcmd PID GC.class_histogram` outputs made from a real JDK 17's
// (internal/dump/testdata/jvm/jcmd-17-loaded.txt, its eight largest
// classes and java.lang.invoke.MemberName) with LeakSvc$Session growing
// by 500 objects a dump and MemberName, the JVM's own, by 300. The leak
// is named as Java writes it; the JVM's own class is no symbol.
func TestAnalyzeJVMHistograms(t *testing.T) {
	args := []string{"analyze", "--out", t.TempDir()}
	for i := 1; i <= 6; i++ {
		args = append(args, fmt.Sprintf("testdata/dumps/histo-%d.txt", i))
	}
	var stdout, stderr bytes.Buffer
	err := run(&stdout, &stderr, args)
	var e *exitError
	if !errors.As(err, &e) || e.code != exitLeak {
		t.Fatalf("err %v, want exit %d\n%s%s", err, exitLeak, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "1 leaking symbol in 6 dumps") || !strings.Contains(out, "\nheap.bytes:LeakSvc.Session\n") {
		t.Errorf("the leaking class is not named:\n%s", out)
	}
	if strings.Contains(out, "heap.bytes:java.lang.invoke") || !strings.Contains(out, "the JVM's own machinery is not trended") || !strings.Contains(out, "they grew from") {
		t.Errorf("the JVM's own class is a symbol, or its growth not said:\n%s", out)
	}
}
