package leaktest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
)

func flatSnaps() []leaktest.Snapshot {
	var s []leaktest.Snapshot
	for i := 0; i < 6; i++ {
		s = append(s, leaktest.Snapshot{Ops: int64(i + 1), Values: map[leaktest.Symbol]float64{"heap.bytes:a.F a.go:1": 64}})
	}
	return s
}

// The default directory is this user's private $TMPDIR/leakslope-UID:
// pre-created by someone else as a link (or open to others), it is not
// used; the run writes to a fresh private directory and says where.
func TestDefaultArtifactsAreNeverRedirected(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv(leaktest.EnvArtifacts, "")
	victim := filepath.Join(tmp, "victim")
	os.Mkdir(victim, 0o755)
	root := filepath.Join(tmp, fmt.Sprintf("leakslope-%d", os.Getuid()))
	if err := os.Symlink(victim, root); err != nil {
		t.Fatal(err)
	}
	rep, err := leaktest.Analyze(flatSnaps(), leaktest.Name("redirected"))
	if err != nil {
		t.Fatal(err)
	}
	json := rep.Artifacts[leaktest.ArtifactJSON]
	if json == "" || strings.HasPrefix(json, root) || strings.HasPrefix(json, victim) {
		t.Errorf("report.json at %q", json)
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
	fi, err := os.Stat(filepath.Dir(json))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the fresh directory: %v %v", fi, err)
	}
	found := false
	for _, w := range rep.Warnings {
		found = found || strings.Contains(w, root+" is a symbolic link") && strings.Contains(w, "this run's are in "+filepath.Dir(json))
	}
	if !found {
		t.Errorf("no warning saying where the artifacts went: %q", rep.Warnings)
	}

	// Unharmed, the default is private and reused.
	os.Remove(root)
	rep, err = leaktest.Analyze(flatSnaps(), leaktest.Name("private"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "private", "report.json"); rep.Artifacts[leaktest.ArtifactJSON] != want {
		t.Errorf("report.json at %q, want %q", rep.Artifacts[leaktest.ArtifactJSON], want)
	}
	if fi, err := os.Stat(root); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: %v %v, want 0700", root, fi.Mode(), err)
	}
}

// A directory the user named that is unsafe stops the run before it
// starts, with an error naming it.
func TestNamedArtifactsDirectoryMustBeSafe(t *testing.T) {
	tmp := t.TempDir()
	victim := filepath.Join(tmp, "victim")
	os.Mkdir(victim, 0o755)
	link := filepath.Join(tmp, "out")
	os.Symlink(victim, link)
	open := filepath.Join(tmp, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o777)
	for _, c := range []struct {
		name string
		opt  leaktest.Option
		env  string
		want string
	}{
		{"link", leaktest.ArtifactsDir(link), "", link + " is a symbolic link"},
		{"world-writable", leaktest.ArtifactsDir(open), "", open + " is writable by all users (mode 0777)"},
		{"env root", leaktest.Name("x"), open, open + " is writable by all users"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(leaktest.EnvArtifacts, c.env)
			rep, err := leaktest.Analyze(flatSnaps(), c.opt)
			if rep != nil || err == nil || !strings.Contains(err.Error(), "artifacts directory: "+c.want) {
				t.Errorf("report %v, err = %v; want %q", rep != nil, err, c.want)
			}
		})
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
}
