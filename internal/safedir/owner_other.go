//go:build !unix

package safedir

import "io/fs"

// ownership: off Unix there are no Unix modes or owners to check (Go
// reports every Windows directory as 0777); links still are.
const ownership = false

func owner(fs.FileInfo) (uid, gid int, ok bool) { return 0, 0, false }

func privateGroup(int) bool { return false }
