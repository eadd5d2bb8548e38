package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// heldByBlock is one "held by" block of the message: its root line and
// its hops, as printed.
type heldByBlock struct {
	head, root string
	hops       []string
}

// heldByBlocks reads the "held by" blocks of a failure message.
func heldByBlocks(stdout string) []heldByBlock {
	var out []heldByBlock
	lines := strings.Split(stdout, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "held by (") || i+1 == len(lines) {
			continue
		}
		b := heldByBlock{head: l, root: strings.TrimSpace(lines[i+1])}
		for i += 2; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "→ "); i++ {
			b.hops = append(b.hops, strings.TrimPrefix(strings.TrimSpace(lines[i]), "→ "))
		}
		i--
		out = append(out, b)
	}
	return out
}

// heldFrom reports whether a "held by" block of the message goes from
// root to an object of site.
func heldFrom(stdout, root, site string) bool {
	for _, b := range heldByBlocks(stdout) {
		if b.root == root && len(b.hops) > 0 && strings.HasSuffix(b.hops[len(b.hops)-1], " allocated at "+site) {
			return true
		}
	}
	return false
}

// A Go service that mounts package heldby beside net/http/pprof, and
// profiles finely enough that each 4 KiB buffer of its leak is sampled
// (one sample per 512 B allocated: all but one in some 3,000): the
// hammer proves its leak, asks it what holds the leaking site, and
// prints the path from the package variable to the site; the JSON
// carries it as the verdict's retained_by. (Every allocation, rate 1,
// is as right and slower: the service's heap pages grow with every stack
// it ever recorded.)
func TestHammerGoServiceSaysWhatHoldsItsLeak(t *testing.T) {
	leakSite := "main.main (closure) " + lineOf(t, "testdata/gosvc/main.go", "remember(make([]byte, 4096))")
	url, svc := goService(t, "-memprofilerate=512")
	dir := t.TempDir()
	js := filepath.Join(dir, "out.json")
	stdout, stderr, code := cli(t, "hammer", "--pprof", url+"/debug/pprof", "--max-duration", "120s",
		"--out", filepath.Join(dir, "artifacts"), "--json", js, url+"/leak")
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if svc.ProcessState != nil {
		t.Fatal("the service died")
	}
	// The leaking site's block (or its suspect's, when the exact total
	// was proven first) names the package variable, and the path ends at
	// the site.
	if !heldFrom(stdout, "var main.sessions  [global]", leakSite) {
		t.Errorf("no held by block from var main.sessions to %s in:\n%s", leakSite, stdout)
	}
	if strings.Contains(stdout, "mount github.com/leakslope/leakslope/heldby") || strings.Contains(stdout, "retention paths are not available") {
		t.Errorf("heldby was not asked, or could not say:\n%s", stdout)
	}

	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Verdicts []struct {
			Symbol     string `json:"symbol"`
			Decision   string `json:"decision"`
			RetainedBy []struct {
				Root     string   `json:"root"`
				RootKind string   `json:"root_kind"`
				Path     []string `json:"path"`
				Objects  int64    `json:"objects"`
			} `json:"retained_by"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range r.Verdicts {
		if v.Symbol != "heap.bytes:"+leakSite {
			continue
		}
		if len(v.RetainedBy) == 0 {
			t.Fatalf("%s (%s) has no retained_by", v.Symbol, v.Decision)
		}
		p := v.RetainedBy[0]
		if p.Root != "var main.sessions" || p.RootKind != "global" || len(p.Path) == 0 || p.Path[len(p.Path)-1] != leakSite || p.Objects < 1000 {
			t.Errorf("%s (%s): retained_by %+v, want var main.sessions (global) … %s", v.Symbol, v.Decision, p, leakSite)
		}
		found = true
	}
	if !found {
		t.Errorf("no verdict of heap.bytes:%s\n%s", leakSite, stdout)
	}
}
