// Package safedir opens the directories leakslope writes its reports to
// so that no other user can redirect, read or replace them: a directory
// is used only when it is not a symbolic link, is owned by this user and
// is writable by no other; files in it are created afresh, never through
// a link. A directory writable by its group counts as the user's only
// when the group is a user-private group (named as the user, whose only
// member the user is); a world-writable one only with the sticky bit
// (like /tmp), owned by the user or root. Off Unix only links are checked.
package safedir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Permissions of what leakslope creates: directories it makes for the
// user's default are private (0700); directories the user named are made
// 0755 and files 0644, readable by others as a build's artifacts usually
// are (the directory's own mode decides who can reach them).
const (
	PrivateDirPerm fs.FileMode = 0o700
	DirPerm        fs.FileMode = 0o755
	FilePerm       fs.FileMode = 0o644
)

// UnsafeError is a directory leakslope will not write to, and why.
type UnsafeError struct {
	Path string
	Why  string // "is a symbolic link", "is owned by uid 1001, not this user (uid 1000)", …
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("%s %s: reports are never written where another user could redirect, read or replace them", e.Path, e.Why)
}

// Dir is an opened, checked directory.
type Dir struct {
	Path string
	root *os.Root
}

// Open makes path (with its missing parents) unless it exists, and opens
// it once it checks out: a directory, not a symbolic link, owned by this
// user, writable by no other user and, when private, readable by none.
// A check that fails is an *UnsafeError.
func Open(path string, private bool) (*Dir, error) {
	perm := DirPerm
	if private {
		perm = PrivateDirPerm
	}
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(path, perm); err != nil {
			return nil, err
		}
	}
	return openExisting(path, private)
}

// Sub makes name in d unless it is there, and opens it, checked as Open
// checks (private as d's creator asked).
func (d *Dir) Sub(name string, private bool) (*Dir, error) {
	perm := DirPerm
	if private {
		perm = PrivateDirPerm
	}
	path := filepath.Join(d.Path, name)
	if err := d.root.Mkdir(name, perm); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	fi, err := d.root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if err := check(path, fi, private); err != nil {
		return nil, err
	}
	root, err := d.root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return opened(path, root, fi)
}

// opened makes sure the directory opened is the one checked: a swap
// between the check and the open (a link put in its place) is caught.
func opened(path string, root *os.Root, checked fs.FileInfo) (*Dir, error) {
	fi, err := root.Stat(".")
	if err == nil && !os.SameFile(fi, checked) {
		err = &UnsafeError{Path: path, Why: "was replaced while it was opened"}
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return &Dir{Path: path, root: root}, nil
}

func check(path string, fi fs.FileInfo, private bool) error {
	mode := fi.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return &UnsafeError{Path: path, Why: "is a symbolic link"}
	case !mode.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	case !ownership:
		return nil // Windows: no Unix modes or owners to check
	case private && mode.Perm()&0o077 != 0:
		return &UnsafeError{Path: path, Why: "is open to other users (mode " + octal(mode) + "; want 0700)"}
	}
	uid, gid, _ := owner(fi)
	me := os.Getuid()
	switch {
	case mode&fs.ModeSticky != 0 && (uid == me || uid == 0):
		// Like /tmp: others may make entries but not remove or replace
		// ours, and files are created exclusively.
		return nil
	case uid != me:
		return &UnsafeError{Path: path, Why: fmt.Sprintf("is owned by uid %d, not this user (uid %d)", uid, me)}
	case mode.Perm()&0o002 != 0:
		return &UnsafeError{Path: path, Why: "is writable by all users (mode " + octal(mode) + ")"}
	case mode.Perm()&0o020 != 0 && !privateGroup(gid):
		return &UnsafeError{Path: path, Why: fmt.Sprintf("is writable by group %d (mode %s), not a group of this user alone", gid, octal(mode))}
	}
	return nil
}

// octal writes a mode as chmod takes it: 0755, 1777 with the sticky bit.
func octal(m fs.FileMode) string {
	v := uint64(m.Perm())
	if m&fs.ModeSticky != 0 {
		v |= 0o1000
	}
	return fmt.Sprintf("%04o", v)
}

// Create creates name in d afresh: whatever had that name (a file, a
// link) is removed, and the new file is created exclusively, so nothing
// is ever written through a link.
func (d *Dir) Create(name string) (*os.File, error) {
	if err := replaceable(d, name); err != nil {
		return nil, err
	}
	// Another run of the same name (a parallel test process) may create
	// it between the two: remove it again.
	for try := 0; ; try++ {
		if err := d.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FilePerm)
		if err == nil || !errors.Is(err, fs.ErrExist) || try == 10 {
			return f, err
		}
	}
}

// replaceable refuses to replace what is not a file or a link: a
// directory, a device (--json /dev/null, as root, must not delete it), a
// pipe, a socket.
func replaceable(d *Dir, name string) error {
	fi, err := d.root.Lstat(name)
	if err != nil {
		return nil // nothing there (or the create will say why)
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return fmt.Errorf("%s is a directory", filepath.Join(d.Path, name))
	case !m.IsRegular() && m&fs.ModeSymlink == 0:
		return fmt.Errorf("%s is not a regular file (%v): reports replace files only", filepath.Join(d.Path, name), m.Type())
	}
	return nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// UserRoot is this user's private root for default artifacts:
// $TMPDIR/leakslope-UID.
func UserRoot() string {
	name := "leakslope"
	if uid := os.Getuid(); uid >= 0 {
		name += "-" + strconv.Itoa(uid)
	}
	return filepath.Join(os.TempDir(), name)
}

// CreateFile creates the file at path afresh, as Dir.Create does: its
// directory is checked as Open checks it (not made), and nothing is
// written through a link. For a single file the user named (--json).
func CreateFile(path string) (*os.File, error) {
	dir, err := openExisting(filepath.Dir(path), false)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	return dir.Create(filepath.Base(path))
}

// CheckFile says whether CreateFile could create path: its directory
// checks out and path is not a directory. For checking a flag before a
// long run.
func CheckFile(path string) error {
	dir, err := openExisting(filepath.Dir(path), false)
	if err != nil {
		return err
	}
	defer dir.Close()
	return replaceable(dir, filepath.Base(path))
}

// openExisting opens the directory at path once it checks out.
func openExisting(path string, private bool) (*Dir, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, fi, private); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return opened(path, root, fi)
}
