package dump

import (
	"fmt"

	"github.com/leakslope/leakslope/internal/stack"
	"github.com/leakslope/leakslope/internal/units"
)

// Kinds of the symbols a heap profile and a goroutine dump give, as
// leaktest names them (its tests keep the two in step).
const (
	KindHeapBytes   = "heap.bytes"
	KindHeapObjects = "heap.objects"
	KindGoroutines  = "goroutines"
)

// Described is what a dump knows of a symbol's site: the charged function,
// its file:line, the stack, and whether it is the user's code. Its fields
// are leaktest.Origin's, so one converts to the other.
type Described struct {
	Func     string
	Site     string
	Stack    []string
	UserCode bool
}

// Set is the latest heap profile and goroutine dump read from one source
// (a pprof endpoint, dump files): they name, describe and bound the
// resolution of that source's symbols. Either may be nil.
type Set struct {
	Heap       *HeapProfile
	Goroutines *GoroutineDump
}

// Values calls fn with each value of the dumps by kind and site: in-use
// bytes and objects of every allocation site but leakslope's own, and
// live goroutines by creation site.
func (s *Set) Values(fn func(kind, site string, v float64)) {
	if h := s.Heap; h != nil {
		for site, x := range h.Sites {
			if x.Class == stack.Own {
				continue
			}
			fn(KindHeapBytes, site, x.Bytes)
			fn(KindHeapObjects, site, x.Objects)
		}
	}
	if g := s.Goroutines; g != nil {
		for site, x := range g.Sites {
			fn(KindGoroutines, site, float64(x.Count))
		}
	}
}

// Describe names a heap or goroutine symbol's site.
func (s *Set) Describe(kind, site string) (Described, bool) {
	switch kind {
	case KindHeapBytes, KindHeapObjects:
		if s.Heap == nil || s.Heap.Sites[site] == nil {
			return Described{}, false
		}
		x := s.Heap.Sites[site]
		return Described{Func: stack.ShortName(x.Charged.Func), Site: x.Charged.FileLine(),
			Stack: stack.Render(x.Frames, x.Charged), UserCode: x.Class == stack.User}, true
	case KindGoroutines:
		if s.Goroutines == nil || s.Goroutines.Sites[site] == nil {
			return Described{}, false
		}
		x := s.Goroutines.Sites[site]
		pkg := stack.Package(x.Creator.Func)
		return Described{Func: stack.ShortName(x.Creator.Func), Site: x.Creator.FileLine(),
			Stack: x.Stack, UserCode: !stack.IsStd(pkg) && !stack.IsOwn(pkg)}, true
	}
	return Described{}, false
}

// Resolution is the smallest slope the sampled heap profile could show
// over an x span: with one sample per Period bytes, a site growing r per
// x leaves r·span/Period samples, and seeing none rules out (at 95%,
// Poisson's rule of three) only r > 3·Period/span. For objects the site's
// mean object size converts it (8 bytes, the smallest, when unknown).
// Goroutine counts are exact: 0.
func (s *Set) Resolution(kind, site string, span float64) float64 {
	h := s.Heap
	if h == nil || h.Period <= 1 || span <= 0 {
		return 0
	}
	bytes := 3 * float64(h.Period) / span
	switch kind {
	case KindHeapBytes:
		return bytes
	case KindHeapObjects:
		size := 8.0
		if x := h.Sites[site]; x != nil && x.Objects > 0 {
			size = max(size, x.Bytes/x.Objects)
		}
		return bytes / size
	}
	return 0
}

// Period is the heap profile's sampling period in bytes; 0 for none or
// exact.
func (s *Set) Period() int64 {
	if s.Heap == nil || s.Heap.Period <= 1 {
		return 0
	}
	return s.Heap.Period
}

// SampledWarning says that n heap symbols from a source could not be
// decided because its profile is sampled, and what would decide them
// (more: "a longer run", "more dumps").
func SampledWarning(n int, from string, period int64, more string) string {
	what := "symbols"
	if n == 1 {
		what = "symbol"
	}
	return fmt.Sprintf("%d heap %s from %s could not be decided: the heap profile is sampled (one sample per %s allocated, scaled up), so growth under the resolution shown is never ruled out; %s lowers it, a budget over it decides",
		n, what, from, units.Bytes(float64(period)), more)
}
