package dump

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/leakslope/leakslope/internal/stack"
)

// GoroutineSite is one creation site of a goroutine dump: the go
// statement's function and file:line, how many goroutines it has alive,
// and one of their stacks.
type GoroutineSite struct {
	Site    string      // "pkg.Func file.go:LINE", as in-process goroutine symbols
	Creator stack.Frame // the function holding the go statement, at its line
	Count   int
	Stack   []string // "func\n\tfile:line", innermost first, of the first goroutine seen
}

// GoroutineDump is a goroutine dump grouped by creation site.
type GoroutineDump struct {
	Sites map[string]*GoroutineSite
	Total int
}

// maxGoroutineLine bounds a line of a goroutine dump (a frame's arguments
// are short; a label set may be long).
const maxGoroutineLine = 4 << 20

// ParseGoroutines reads a goroutine dump in the form of
// /debug/pprof/goroutine?debug=2, runtime.Stack(all) and a crash's
// traceback: blocks of "goroutine N [state]:" followed by frames (a
// function line, then a tab and file:line), the last perhaps "created by
// F in goroutine M". Goroutines are grouped by creation site; one with no
// creator (main, or a runtime goroutine) by its outermost frame. name is
// used in errors, which give file:line.
func ParseGoroutines(name string, r io.Reader) (*GoroutineDump, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxGoroutineLine)
	out := &GoroutineDump{Sites: map[string]*GoroutineSite{}}
	var (
		in      bool          // inside a goroutine block
		frames  []stack.Frame // of the current block
		pending string        // a function line awaiting its location
		creator *stack.Frame
		created bool // the pending function line is "created by"
	)
	flush := func() {
		if !in {
			return
		}
		in = false
		var c stack.Frame
		switch {
		case creator != nil:
			c = *creator
		case len(frames) > 0:
			c = frames[len(frames)-1]
		default:
			c = stack.Frame{Func: "unknown"}
		}
		site := c.Site()
		gs := out.Sites[site]
		if gs == nil {
			// Text only for the first goroutine of a site: a leak's dump
			// has thousands of the same stack.
			lines := make([]string, len(frames))
			for i, f := range frames {
				lines[i] = fmt.Sprintf("%s\n\t%s:%d", f.Func, f.File, f.Line)
			}
			gs = &GoroutineSite{Site: site, Creator: c, Stack: lines}
			out.Sites[site] = gs
		}
		gs.Count++
		out.Total++
	}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			if pending != "" {
				return out, fmt.Errorf("%s:%d: function %q has no file:line after it", name, n, pending)
			}
			flush()
		case strings.HasPrefix(line, "goroutine "):
			if pending != "" {
				return out, fmt.Errorf("%s:%d: function %q has no file:line after it", name, n, pending)
			}
			if !strings.HasSuffix(trimmed, "]:") || !strings.Contains(trimmed, " [") {
				return out, fmt.Errorf("%s:%d: goroutine header %q: want \"goroutine N [state]:\"", name, n, trimmed)
			}
			id, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "goroutine "), " ")
			if _, err := strconv.ParseUint(id, 10, 64); err != nil {
				return out, fmt.Errorf("%s:%d: goroutine header %q: id %q is not a number", name, n, trimmed, id)
			}
			flush()
			in, frames, creator = true, frames[:0], nil
		case !in:
			return out, fmt.Errorf("%s:%d: %q is outside any goroutine block (want \"goroutine N [state]:\" blocks, as debug=2 prints)", name, n, clip(trimmed))
		case pending != "":
			if !strings.HasPrefix(line, "\t") {
				return out, fmt.Errorf("%s:%d: want a tab and file:line after %q, got %q", name, n, pending, clip(trimmed))
			}
			file, ln, err := fileLine(trimmed)
			if err != nil {
				return out, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			f := stack.Frame{Func: pending, File: file, Line: ln}
			if created {
				creator = &f
			} else {
				frames = append(frames, f)
			}
			pending, created = "", false
		case strings.HasPrefix(trimmed, "..."):
			// "...additional frames elided..."
		case strings.HasPrefix(trimmed, "created by "):
			fn := strings.TrimPrefix(trimmed, "created by ")
			if i := strings.Index(fn, " in goroutine "); i >= 0 {
				fn = fn[:i]
			}
			pending, created = fn, true
		default:
			fn := trimmed
			// Drop the arguments: "pkg.f(0x1, ...)" → "pkg.f". The last
			// "(" that ends the line's call, not one inside "(*T)".
			if strings.HasSuffix(fn, ")") {
				if i := strings.LastIndex(fn, "("); i > 0 {
					fn = fn[:i]
				}
			}
			pending = fn
		}
	}
	if err := sc.Err(); err != nil {
		return out, scanErr(name, n+1, err, maxGoroutineLine)
	}
	if pending != "" {
		return out, fmt.Errorf("%s:%d: function %q has no file:line after it", name, n, pending)
	}
	flush()
	if out.Total == 0 {
		return out, fmt.Errorf("%s: no goroutines (want \"goroutine N [state]:\" blocks, as debug=2 prints)", name)
	}
	return out, nil
}

// fileLine parses "/path/file.go:123 +0x1f" (the offset optional).
func fileLine(s string) (string, int, error) {
	if i := strings.LastIndex(s, " +0x"); i >= 0 {
		s = s[:i]
	}
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", 0, fmt.Errorf("location %q: want file:line", clip(s))
	}
	ln, err := strconv.Atoi(s[i+1:])
	if err != nil || ln < 0 {
		return "", 0, fmt.Errorf("location %q: line %q is not a number", clip(s), s[i+1:])
	}
	return s[:i], ln, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
