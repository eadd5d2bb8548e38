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
	// Wait is what the first goroutine seen waits on, as its header says
	// ("chan receive", "sync.Mutex.Lock"); "" when it is not waiting.
	Wait string
	// Leaked lists the site's goroutines, and Stacks the stack of the
	// first of each stack.Key: filled by ParseLeakedGoroutines only, to
	// match them with a profile's samples (by key) and with the
	// goroutines alive earlier (by id).
	Leaked []LeakedGoroutine
	Stacks map[string][]string
}

// LeakedGoroutine is one goroutine of ParseLeakedGoroutines.
type LeakedGoroutine struct {
	ID   uint64
	Wait string // without "(leaked)"
	Key  string // its stack's stack.Key
	// Labels is the text of its profiler labels when the traceback
	// printed them (Go 1.27's default for modules at go 1.27: "{k: v}"
	// after the state), for Label; "" otherwise.
	Labels string
}

// GoroutineDump is a goroutine dump grouped by creation site.
type GoroutineDump struct {
	Sites map[string]*GoroutineSite
	Total int
	// IDs are the ids of every goroutine of the dump, leaked or not:
	// goroutine ids are never reused, so a later dump's goroutine whose id
	// is here was alive then.
	IDs []uint64
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
	return parseGoroutines(name, r, false)
}

// ParseLeakedGoroutines is ParseGoroutines for the goroutines that Go
// 1.27's goroutine leak detection marked leaked ("goroutine 7 [chan
// receive (leaked)]:", as /debug/pprof/goroutineleak?debug=2 and
// runtime.Stack print them until the next detection): the others are
// skipped. Each site's Wait is its first leaked goroutine's, without
// "(leaked)"; Leaked lists its goroutines. A dump with no leaked
// goroutine has no sites and no error.
func ParseLeakedGoroutines(name string, r io.Reader) (*GoroutineDump, error) {
	return parseGoroutines(name, r, true)
}

// leakedMark is what a goroutine's state says once a detection found it
// blocked forever.
const leakedMark = " (leaked)"

// goroutineHeader parses "goroutine N [state]:", perhaps with Go 1.27's
// labels after the state ("goroutine N [state] {k: v}:"), into the state.
func goroutineHeader(h string) (state string, ok bool) {
	state, _, ok = goroutineHeaderLabels(h)
	return state, ok
}

// goroutineHeaderLabels is goroutineHeader with the labels' text, "" when
// none were printed: `k: v, "k 2": "v 2"`.
func goroutineHeaderLabels(h string) (state, labels string, ok bool) {
	rest, found := strings.CutPrefix(h, "goroutine ")
	if !found {
		return "", "", false
	}
	// A crash's traceback may put "gp=… m=…" between the id and the state.
	id, _, _ := strings.Cut(rest, " ")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", "", false
	}
	_, rest, found = strings.Cut(rest, " [")
	if !found {
		return "", "", false
	}
	state, rest, found = strings.Cut(rest, "]")
	if !found {
		return "", "", false
	}
	if rest == ":" {
		return state, "", true
	}
	// Labels: " {…}:", keys and values quoted when they need to be.
	if strings.HasPrefix(rest, " {") && strings.HasSuffix(rest, "}:") {
		return state, rest[2 : len(rest)-2], true
	}
	return "", "", false
}

// Label finds key's value in a traceback's labels (LeakedGoroutine.Labels:
// `k: v, "k 2": "v 2"`, a key or value quoted when it is not plain
// letters, digits, '.', '/' and '_').
func Label(labels, key string) (string, bool) {
	for labels != "" {
		k, rest, ok := labelToken(labels)
		if !ok || !strings.HasPrefix(rest, ": ") {
			return "", false
		}
		v, rest, ok := labelToken(rest[2:])
		if !ok {
			return "", false
		}
		if k == key {
			return v, true
		}
		if labels, ok = strings.CutPrefix(rest, ", "); !ok {
			return "", false
		}
	}
	return "", false
}

// labelToken reads a plain or quoted key or value.
func labelToken(s string) (tok, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return "", "", false
		}
		t, err := strconv.Unquote(q)
		return t, s[len(q):], err == nil
	}
	i := strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '/' || r == '_')
	})
	if i < 0 {
		i = len(s)
	}
	return s[:i], s[i:], i > 0
}

// waitOf is a state's wait reason: "chan receive (leaked)" and "chan
// receive, 5 minutes" → "chan receive".
func waitOf(state string) string {
	if i := strings.Index(state, leakedMark); i >= 0 {
		return state[:i]
	}
	if i := strings.Index(state, ","); i >= 0 {
		return state[:i]
	}
	return state
}

func parseGoroutines(name string, r io.Reader, leakedOnly bool) (*GoroutineDump, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxGoroutineLine)
	out := &GoroutineDump{Sites: map[string]*GoroutineSite{}}
	var (
		in      bool          // inside a goroutine block
		frames  []stack.Frame // of the current block
		pending string        // a function line awaiting its location
		creator *stack.Frame
		created bool   // the pending function line is "created by"
		state   string // of the current block
		labels  string // of the current block
		id      uint64 // of the current block
		blocks  int    // goroutine blocks seen, leaked or not
	)
	flush := func() {
		if !in {
			return
		}
		in = false
		if leakedOnly && !strings.Contains(state, leakedMark) {
			return
		}
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
			gs = &GoroutineSite{Site: site, Creator: c, Stack: lines, Wait: waitOf(state)}
			if leakedOnly {
				gs.Stacks = map[string][]string{}
			}
			out.Sites[site] = gs
		}
		if leakedOnly {
			key := stack.Key(frames)
			if gs.Stacks[key] == nil {
				lines := make([]string, len(frames))
				for i, f := range frames {
					lines[i] = fmt.Sprintf("%s\n\t%s:%d", f.Func, f.File, f.Line)
				}
				gs.Stacks[key] = lines
			}
			gs.Leaked = append(gs.Leaked, LeakedGoroutine{ID: id, Wait: waitOf(state), Key: key, Labels: labels})
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
			ids, _, _ := strings.Cut(strings.TrimPrefix(trimmed, "goroutine "), " ")
			gid, err := strconv.ParseUint(ids, 10, 64)
			if err != nil {
				return out, fmt.Errorf("%s:%d: goroutine header %q: id %q is not a number", name, n, clip(trimmed), clip(ids))
			}
			st, lb, ok := goroutineHeaderLabels(trimmed)
			if !ok {
				return out, fmt.Errorf("%s:%d: goroutine header %q: want \"goroutine N [state]:\"", name, n, clip(trimmed))
			}
			flush()
			in, frames, creator, state, labels, id = true, frames[:0], nil, st, lb, gid
			out.IDs = append(out.IDs, gid)
			blocks++
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
	if blocks == 0 {
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
