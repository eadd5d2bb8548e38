//go:build unix

package safedir_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leakslope/leakslope/internal/safedir"
)

func mustUnsafe(t *testing.T, err error, why string) {
	t.Helper()
	var ue *safedir.UnsafeError
	if !errors.As(err, &ue) || !strings.Contains(ue.Why, why) {
		t.Fatalf("err = %v, want unsafe: %q", err, why)
	}
}

// What Open makes is this user's: 0755 as asked, 0700 when private, and
// files are 0644.
func TestOpenMakesAndCreates(t *testing.T) {
	base := t.TempDir()
	d, err := safedir.Open(filepath.Join(base, "a", "b"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := safedir.Open(filepath.Join(base, "private"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	sub, err := p.Sub("run", true)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	f, err := sub.Create("report.json")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{}")
	f.Close()
	for path, want := range map[string]os.FileMode{
		filepath.Join(base, "a", "b"):                        0o755,
		filepath.Join(base, "private"):                       0o700,
		filepath.Join(base, "private", "run"):                0o700,
		filepath.Join(base, "private", "run", "report.json"): 0o644,
	} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want&^umask() {
			t.Errorf("%s: %v %v, want %v", path, fi.Mode(), err, want)
		}
	}
}

// umask is the process's, as a 0777 directory shows it.
func umask() os.FileMode {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("umask-%d", os.Getpid()))
	os.Mkdir(dir, 0o777)
	defer os.Remove(dir)
	fi, _ := os.Stat(dir)
	return 0o777 &^ fi.Mode().Perm()
}

// A directory pre-created as a link by someone else is never written
// through: not as the directory, not as a subdirectory, not as a file.
func TestLinksAreNeverFollowed(t *testing.T) {
	base := t.TempDir()
	victim := filepath.Join(base, "victim")
	os.Mkdir(victim, 0o755)
	os.WriteFile(filepath.Join(victim, ".bashrc"), []byte("safe"), 0o644)

	link := filepath.Join(base, "leakslope-1000")
	os.Symlink(victim, link)
	_, err := safedir.Open(link, true)
	mustUnsafe(t, err, "is a symbolic link")
	if _, err := safedir.CreateFile(filepath.Join(link, "report.json")); err == nil {
		t.Error("CreateFile through a linked directory")
	}

	d, err := safedir.Open(filepath.Join(base, "mine"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	os.Symlink(victim, filepath.Join(base, "mine", "run"))
	_, err = d.Sub("run", true)
	mustUnsafe(t, err, "is a symbolic link")

	os.Symlink(filepath.Join(victim, ".bashrc"), filepath.Join(base, "mine", "report.json"))
	f, err := d.Create("report.json")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("touch pwned")
	f.Close()
	if b, _ := os.ReadFile(filepath.Join(victim, ".bashrc")); string(b) != "safe" {
		t.Errorf("the link's target was written: %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(base, "mine", "report.json")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("report.json is not a fresh file: %v %v", fi.Mode(), err)
	}
}

// A directory others can write is refused, and a private one must be
// private; a file named like a directory there is an error, and the
// directory stays.
func TestModesAreChecked(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o777)
	_, err := safedir.Open(open, false)
	mustUnsafe(t, err, "is writable by all users (mode 0777)")
	if _, err := safedir.CreateFile(filepath.Join(open, "report.json")); err == nil {
		t.Error("CreateFile in a world-writable directory")
	}

	shared := filepath.Join(base, "shared")
	os.Mkdir(shared, 0o755)
	os.Chmod(shared, 0o755)
	if d, err := safedir.Open(shared, false); err != nil {
		t.Errorf("a 0755 directory of one's own: %v", err)
	} else {
		d.Close()
	}
	_, err = safedir.Open(shared, true)
	mustUnsafe(t, err, "is open to other users (mode 0755; want 0700)")

	d, err := safedir.Open(shared, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	os.Mkdir(filepath.Join(shared, "report.json"), 0o755)
	if _, err := d.Create("report.json"); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("Create over a directory: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(shared, "report.json")); err != nil || !fi.IsDir() {
		t.Error("the directory was removed")
	}
}

// A world-writable directory with the sticky bit (like /tmp) is safe to
// create in: others cannot remove or replace what is created there, and
// creation is exclusive. A device or a pipe is never replaced by a report.
func TestStickyDirectoriesAndSpecialFiles(t *testing.T) {
	base := t.TempDir()
	sticky := filepath.Join(base, "tmp")
	os.Mkdir(sticky, 0o755)
	os.Chmod(sticky, 0o777|os.ModeSticky)
	f, err := safedir.CreateFile(filepath.Join(sticky, "r.json"))
	if err != nil {
		t.Fatalf("a sticky world-writable directory: %v", err)
	}
	f.Close()
	fifo := filepath.Join(base, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := safedir.CheckFile(fifo); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Errorf("CheckFile(fifo) = %v", err)
	}
	if _, err := safedir.CreateFile(fifo); err == nil {
		t.Error("a pipe was replaced")
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe is gone: %v %v", fi, err)
	}
}

// A directory another user owns, or whose group (not the user's own) can
// write, is refused. Making one takes root (CI runs as root).
func TestForeignOwnersAreRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("making a directory another user owns needs root")
	}
	base := t.TempDir()
	theirs := filepath.Join(base, "theirs")
	os.Mkdir(theirs, 0o755)
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	_, err := safedir.Open(theirs, false)
	mustUnsafe(t, err, "is owned by uid 65534, not this user (uid 0)")

	group := filepath.Join(base, "group")
	os.Mkdir(group, 0o755)
	os.Chmod(group, 0o775)
	if err := os.Chown(group, 0, 65534); err != nil {
		t.Fatal(err)
	}
	_, err = safedir.Open(group, false)
	mustUnsafe(t, err, "is writable by group 65534 (mode 0775)")
	os.Chown(group, 0, os.Getgid())
	if d, err := safedir.Open(group, false); err != nil {
		t.Errorf("group-writable by the user's own group: %v", err)
	} else {
		d.Close()
	}
}
