// Package safedir opens the directories leakslope writes its reports to
// so that no other user can redirect, read or replace them: a directory
// is used only when it is not a symbolic link, is owned by this user and
// is writable by no other; files in it are created afresh, never through
// a link. A directory writable by its group counts as the user's only
// when the group is the user's own (a user-private group).
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
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(path, perm); err != nil {
			return nil, err
		}
		fi, err = os.Lstat(path)
	}
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
	switch mode := fi.Mode(); {
	case mode&fs.ModeSymlink != 0:
		return &UnsafeError{Path: path, Why: "is a symbolic link"}
	case !mode.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	case mode.Perm()&0o002 != 0:
		return &UnsafeError{Path: path, Why: "is writable by all users (mode " + octal(mode.Perm()) + ")"}
	case private && mode.Perm()&0o077 != 0:
		return &UnsafeError{Path: path, Why: "is open to other users (mode " + octal(mode.Perm()) + "; want 0700)"}
	}
	uid, gid, ok := owner(fi)
	switch {
	case !ok:
	case uid != os.Getuid():
		return &UnsafeError{Path: path, Why: fmt.Sprintf("is owned by uid %d, not this user (uid %d)", uid, os.Getuid())}
	case fi.Mode().Perm()&0o020 != 0 && gid != os.Getgid():
		// A group of the user's own (a user-private group) is the user.
		return &UnsafeError{Path: path, Why: fmt.Sprintf("is writable by group %d (mode %s)", gid, octal(fi.Mode().Perm()))}
	}
	return nil
}

func octal(m fs.FileMode) string { return "0" + strconv.FormatUint(uint64(m), 8) }

// Create creates name in d afresh: whatever had that name (a file, a
// link) is removed, and the new file is created exclusively, so nothing
// is ever written through a link.
func (d *Dir) Create(name string) (*os.File, error) {
	if fi, err := d.root.Lstat(name); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", filepath.Join(d.Path, name))
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
	dir, err := openExisting(filepath.Dir(path))
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
	dir, err := openExisting(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	if fi, err := dir.root.Lstat(filepath.Base(path)); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	return nil
}

func openExisting(path string) (*Dir, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := check(path, fi, false); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return opened(path, root, fi)
}
