//go:build unix

package safedir

import (
	"io/fs"
	"os/user"
	"strconv"
	"syscall"
)

// ownership: Unix modes and owners are checked.
const ownership = true

func owner(fi fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// privateGroup reports whether gid is a user-private group of this user:
// the user's primary group, named as the user (Debian's scheme).
func privateGroup(gid int) bool {
	me, err := user.Current()
	if err != nil {
		return false
	}
	g, err := user.LookupGroupId(strconv.Itoa(gid))
	if err != nil || g.Name != me.Username {
		return false
	}
	return me.Gid == g.Gid
}
