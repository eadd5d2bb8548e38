package stack

import "strings"

// Module is leakslope's own module path.
const Module = "github.com/leakslope/leakslope"

// stdRoots are the first path elements of the standard library's
// packages (go list std); a test keeps this list in step with the
// toolchain. Checking the root, not "has no dot", keeps a user's
// module named "myservice" out of the standard library.
var stdRoots = map[string]bool{
	"archive": true, "bufio": true, "bytes": true, "cmp": true, "compress": true,
	"container": true, "context": true, "crypto": true, "database": true, "debug": true,
	"embed": true, "encoding": true, "errors": true, "expvar": true, "flag": true,
	"fmt": true, "go": true, "hash": true, "html": true, "image": true, "index": true,
	"internal": true, "io": true, "iter": true, "log": true, "maps": true, "math": true,
	"mime": true, "net": true, "os": true, "path": true, "plugin": true, "reflect": true,
	"regexp": true, "runtime": true, "slices": true, "sort": true, "strconv": true,
	"strings": true, "structs": true, "sync": true, "syscall": true, "testing": true,
	"text": true, "time": true, "unicode": true, "unique": true, "unsafe": true,
	"vendor": true, "weak": true,
}

// IsStd reports whether an import path is in the standard library.
func IsStd(pkg string) bool {
	root, _, _ := strings.Cut(pkg, "/")
	return stdRoots[root] && !strings.Contains(root, ".")
}

// IsOwn reports whether a package is leakslope's own machinery, whose
// allocations and goroutines are never symbols. Its tests and examples are
// user code like any other.
func IsOwn(pkg string) bool {
	rest, ok := strings.CutPrefix(pkg, Module+"/")
	if !ok {
		return false
	}
	for _, p := range []string{"leaktest", "runner", "matchers", "probe", "heldby", "internal/"} {
		if rest == p || (strings.HasSuffix(p, "/") && strings.HasPrefix(rest, p)) {
			return true
		}
	}
	return false
}

// isTool reports libraries that leakslope calls to take its snapshots: an
// allocation in them is charged to whoever called them, which is
// leakslope when leakslope did.
func isTool(pkg string) bool {
	for _, p := range []string{
		"github.com/onsi/gomega/gleak",
		"github.com/google/pprof/",
		"go.uber.org/goleak",
		"github.com/shirou/gopsutil/",
	} {
		if strings.HasPrefix(pkg, p) {
			return true
		}
	}
	return false
}

// runtimeCaches are runtime functions that allocate on the user's behalf
// and keep the objects in free lists instead of freeing them: sudogs
// (blocking on a channel or contended mutex), g structs (a go statement
// with an empty free list), Ms, defer records, per-P timer heaps. Their
// number follows the peak concurrency seen so far, so they creep up in
// rare steps under a perfectly clean op. That is not the user's leak (a
// real goroutine leak shows as goroutines:…), so they are not charged to
// the user frame that triggered them.
var runtimeCaches = []string{
	"runtime.acquireSudog",
	"runtime.malg",
	"runtime.newproc1",
	"runtime.gfget",
	"runtime.allocm",
	"runtime.newm",
	"runtime.mcommoninit",
	"runtime.newdefer",
	"runtime.procresize",
	"runtime.(*timers).",
	"runtime.(*mcache).",
	"runtime.gcBgMarkStartWorkers",
}

// IsRuntimeCache reports whether a frame is one of the runtime's caching
// allocators listed above.
func IsRuntimeCache(fn string) bool {
	for _, p := range runtimeCaches {
		if fn == p || (strings.HasSuffix(p, ".") && strings.HasPrefix(fn, p)) {
			return true
		}
	}
	return false
}

// Class is who an allocation or goroutine is charged to.
type Class int

const (
	User    Class = iota // the user's code (or a library it called)
	Std                  // only standard-library frames: charged to the innermost of them
	Own                  // leakslope's own: never a symbol
	Runtime              // a runtime cache kept on the user's behalf: never a symbol
)

// Attribute finds the frame an allocation stack (innermost first) is
// charged to: the innermost frame in user code, so that fmt.Sprintf, map
// growth and append are charged to the user line that called them. Frames
// of the libraries leakslope uses for its snapshots are seen through, to
// whoever called them. A stack that reaches a runtime cache before any
// user frame is the runtime's; one whose charged frame is leakslope's is
// leakslope's own. With no user frame at all, the innermost frame outside
// the runtime is charged.
func Attribute(frames []Frame) (Frame, Class) {
	var fallback *Frame
	for i := range frames {
		fn := frames[i].Func
		if IsRuntimeCache(fn) {
			return frames[i], Runtime
		}
		pkg := Package(fn)
		switch {
		case IsOwn(pkg):
			return frames[i], Own
		case IsStd(pkg):
			if fallback == nil && pkg != "runtime" && !strings.HasPrefix(pkg, "internal/") {
				fallback = &frames[i]
			}
		case isTool(pkg):
		default:
			return frames[i], User
		}
	}
	if fallback != nil {
		return *fallback, Std
	}
	// Only runtime frames: the runtime's own work (a background
	// goroutine, a finalizer queue), not the user's.
	if len(frames) > 0 {
		return frames[0], Runtime
	}
	return Frame{Func: "unknown"}, Runtime
}
