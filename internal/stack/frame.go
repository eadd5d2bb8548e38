// Package stack names and classifies stack frames: which frame of an
// allocation or goroutine belongs to the user's code, which to the
// standard library, to the runtime's own caches, or to leakslope itself.
package stack

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// Frame is one resolved stack frame.
type Frame struct {
	Func string // fully qualified, as runtime.Frame.Function
	File string
	Line int
}

// Site is the frame's short function name and file:line, the form used in
// symbols: "store.(*Store).Handle store.go:42".
func (f Frame) Site() string {
	return fmt.Sprintf("%s %s:%d", ShortName(f.Func), filepath.Base(f.File), f.Line)
}

// FileLine is the frame's file base name and line: "store.go:42".
func (f Frame) FileLine() string {
	return fmt.Sprintf("%s:%d", filepath.Base(f.File), f.Line)
}

// Render formats a stack for a message, innermost first, one
// "function\n\tfile:line" entry per frame: the runtime's allocator frames
// are cut, and so are leakslope's own frames and the test runner's below
// the user's. A long run of library frames between the innermost frame
// and the charged one is collapsed, so the charged frame and its callers
// always show.
func Render(frames []Frame, charged Frame) []string {
	i := 0
	for i < len(frames)-1 && Package(frames[i].Func) == "runtime" {
		i++
	}
	j := len(frames)
	for j > i+1 && (IsOwn(Package(frames[j-1].Func)) || frames[j-1].Func == "runtime.goexit" || strings.HasPrefix(frames[j-1].Func, "testing.")) {
		j--
	}
	frames = frames[i:j]
	c := -1
	for k, f := range frames {
		if f == charged {
			c = k
			break
		}
	}
	var out []string
	for k, f := range frames {
		if c > 5 && k >= 3 && k < c-1 {
			if k == 3 {
				out = append(out, fmt.Sprintf("... %d frames ...", c-1-3))
			}
			continue
		}
		out = append(out, fmt.Sprintf("%s\n\t%s:%d", f.Func, f.File, f.Line))
	}
	return out
}

// Frames resolves program counters (as runtime.MemProfileRecord.Stack
// gives them) into frames, inlined calls expanded, innermost first.
func Frames(pcs []uintptr) []Frame {
	var out []Frame
	it := runtime.CallersFrames(pcs)
	for {
		fr, more := it.Next()
		if fr.Function != "" {
			out = append(out, Frame{Func: fr.Function, File: fr.File, Line: fr.Line})
		}
		if !more {
			return out
		}
	}
}

// Package returns the import path of a qualified function name:
// "github.com/a/b.(*T).M.func1" → "github.com/a/b".
func Package(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return fn
	}
	return fn[:slash+1+dot]
}

// ShortName drops the import path but its last element, and names a
// function literal by its enclosing named function:
// "github.com/a/store.(*S).Get.func1.2" → "store.(*S).Get (closure)".
// The file:line of the site tells closures of one function apart.
func ShortName(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	short := fn[slash+1:]
	if i := closureSuffix(short); i >= 0 {
		return short[:i] + " (closure)"
	}
	return short
}

// closureSuffix finds where the compiler's closure naming starts: ".funcN"
// after a named function, or "glob..funcN" for package-level literals.
func closureSuffix(s string) int {
	for i := 0; i+5 < len(s); i++ {
		if s[i] == '.' && strings.HasPrefix(s[i+1:], "func") && i+5 < len(s) && s[i+5] >= '0' && s[i+5] <= '9' {
			if strings.HasSuffix(s[:i], ".glob.") {
				return i - len(".glob.")
			}
			return i
		}
	}
	return -1
}

// keyFrames is how many frames Key looks at: enough to tell goroutines
// apart, few enough that a traceback's elided middle never reaches them.
const keyFrames = 16

// Key names a goroutine's stack so that a profile's sample (whose frames
// come from its PCs) and a traceback of the same goroutine (whose frames
// are printed) get the same key: the innermost keyFrames frames but the
// runtime's own (a traceback hides them, a profile has them), each as
// function and line.
func Key(frames []Frame) string {
	var b strings.Builder
	n := 0
	for _, f := range frames {
		if strings.HasPrefix(f.Func, "runtime.") {
			continue
		}
		if n == keyFrames {
			break
		}
		n++
		fmt.Fprintf(&b, "%s:%d\n", f.Func, f.Line)
	}
	return b.String()
}
