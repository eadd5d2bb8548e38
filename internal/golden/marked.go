package golden

import (
	"os"
	"strings"
	"testing"
)

// MarkedLine is the number of the line of file that ends with the comment
// "// "+mark: tests name the site of a marked line as the heap symbols do,
// and stay right when the file changes above it.
func MarkedLine(t testing.TB, file, mark string) int {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(l, "// "+mark) {
			return i + 1
		}
	}
	t.Fatalf("no line marked %q in %s", mark, file)
	return 0
}
