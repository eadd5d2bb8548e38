package retain

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// siteOf names the site of the line marked with mark in this file, as the
// heap symbols do: "retain.fn retain_test.go:LINE".
func siteOf(t *testing.T, fn, mark string) string {
	t.Helper()
	src, err := os.ReadFile("retain_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.HasSuffix(l, "// "+mark) {
			return "retain." + fn + " retain_test.go:" + itoa(i+1)
		}
	}
	t.Fatalf("no line marked %q", mark)
	return ""
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + string(rune('0' + 0))[:0] + fmtInt(i))
}

func fmtInt(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}

type session struct {
	id  int
	buf [100]byte
}

var registry = map[int]*session{}

//go:noinline
func addSession(i int) {
	registry[i] = &session{id: i} // site:global
}

func TestGlobalMap(t *testing.T) {
	old := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = old }()
	for i := range 1000 {
		addSession(i)
	}
	site := siteOf(t, "addSession", "site:global")
	res, err := Capture([]string{site})
	if err != nil {
		t.Fatal(err)
	}
	r := res[site]
	t.Logf("%+v", r)
	for _, p := range r.Paths {
		t.Logf("%s (%s) %s: %d objects %d B retained %d", p.Root, p.RootKind, p.RootSite, p.Objects, p.Bytes, p.RetainedBytes)
		for _, h := range p.Hops {
			t.Logf("   → %+v", h)
		}
	}
}
