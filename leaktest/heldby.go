package leaktest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/decide"
	"github.com/leakslope/leakslope/internal/render"
	"github.com/leakslope/leakslope/internal/retain"
	"github.com/leakslope/leakslope/internal/units"
)

// HeldBy is what keeps a leaking heap site's objects alive — the seed's
// `!gcroot`: the paths from a root (a package variable, a goroutine's
// frame, a finalizer) through objects named by their allocation sites to
// the site's objects, grouped by path, most objects first. The in-process
// heap probe reads it from a heap dump at the end of a run with a heap
// leak; probe.Pprof asks a service that mounts package heldby.
//
// Its JSON is a report verdict's "retained_by" and what heldby serves.
type HeldBy struct {
	Objects int64 `json:"objects"` // the site's objects found
	Bytes   int64 `json:"bytes"`
	// Paths, most objects first; past the first few, counted in Other*.
	Paths        []RetentionPath `json:"retained_by"`
	OtherPaths   int             `json:"other_paths,omitempty"`
	OtherObjects int64           `json:"other_objects,omitempty"`
	OtherBytes   int64           `json:"other_bytes,omitempty"`
	// Notes: limits of the answer that apply here (tiny objects sharing
	// blocks, a sampled profile, a binary without symbols).
	Notes []string `json:"notes,omitempty"`
	// Sampled: the holder's heap profile is sampled (a service's), so the
	// counts are of the sampled objects only.
	Sampled bool `json:"sampled,omitempty"`
}

// RetentionPath is one way from a root to some of a site's objects.
type RetentionPath struct {
	// Root is named as a person looks it up: "var
	// github.com/acme/store.registry", "store.(*Pool).run pool.go:40" (a
	// goroutine's frame), "finalizer store.closeConn".
	Root     string   `json:"root"`
	RootKind RootKind `json:"root_kind"`
	// RootSite: where the root comes from, when known ("goroutine created
	// at store.Start store.go:12").
	RootSite string `json:"root_site,omitempty"`
	// Path names each hop's allocation site, root's object first, the
	// leaking site's last.
	Path []string `json:"path"`
	Hops []Hop    `json:"hops"`
	// Objects and Bytes of the site held this way; RetainedBytes, what
	// the path's first object keeps alive in all (its dominator subtree).
	Objects       int64 `json:"objects"`
	Bytes         int64 `json:"bytes"`
	RetainedBytes int64 `json:"retained_bytes"`
}

// Hop is one object on a retention path, or a chain of objects of one
// site (a linked list, a tree).
type Hop struct {
	Site string `json:"site"` // the allocation site, as heap symbols name it
	// What the allocation made: "map table", "slice", "string", "chan",
	// "timer", "goroutine", "object".
	What string `json:"what"`
	// Repeat: the longest chain of this site's objects at this hop.
	Repeat int `json:"repeat"`
	// BeforeProfiling: allocated before exact profiling began, so its
	// site is unknown.
	BeforeProfiling bool `json:"before_profiling,omitempty"`
	// Unsampled: not sampled by a sampled heap profile (a service's, by
	// default), so its site is unknown.
	Unsampled bool `json:"unsampled,omitempty"`
}

// RootKind is what kind of root a retention path starts at.
type RootKind string

const (
	RootGlobal    RootKind = retain.RootGlobal    // a package variable
	RootGoroutine RootKind = retain.RootGoroutine // a goroutine's frame (a local, an argument, a deferred call)
	RootFinalizer RootKind = retain.RootFinalizer // a finalizer and the object it is set on
	RootOther     RootKind = retain.RootOther     // the runtime's own, or a root the heap dump does not list
)

// heldByFrom converts the analysis's answer.
func heldByFrom(r *retain.Result) *HeldBy {
	h := &HeldBy{Objects: r.Objects, Bytes: r.Bytes, OtherPaths: r.OtherPaths, OtherObjects: r.OtherObjects, OtherBytes: r.OtherBytes, Notes: r.Notes, Sampled: r.Sampled}
	for _, p := range r.Paths {
		rp := RetentionPath{Root: p.Root, RootKind: RootKind(p.RootKind), RootSite: p.RootSite, Path: p.Path,
			Objects: p.Objects, Bytes: p.Bytes, RetainedBytes: p.RetainedBytes}
		for _, hop := range p.Hops {
			rp.Hops = append(rp.Hops, Hop(hop))
		}
		h.Paths = append(h.Paths, rp)
	}
	return h
}

// page gives the HTML report's tree of each path.
func (h *HeldBy) page() []render.HeldPath {
	var out []render.HeldPath
	for _, p := range h.Paths {
		root := &render.Hop{Text: p.rootText()}
		at := root
		for _, hop := range p.Hops {
			at.Next = &render.Hop{Text: "→ " + hop.text()}
			at = at.Next
		}
		out = append(out, render.HeldPath{Head: p.head(h.Objects, h.Sampled), Root: root})
	}
	return out
}

func (p RetentionPath) head(of int64, sampled bool) string {
	what := "objects"
	if sampled {
		what = "sampled objects"
	}
	return fmt.Sprintf("%s of %s %s, %s; the path retains %s",
		units.Group(p.Objects), units.Group(of), what, units.Bytes(float64(p.Bytes)), units.Bytes(float64(p.RetainedBytes)))
}

func (p RetentionPath) rootText() string {
	root := p.Root
	if p.RootSite != "" {
		root += " (" + p.RootSite + ")"
	}
	return root + "  [" + string(p.RootKind) + "]"
}

// maxPathsShown caps the paths a failure message shows per site.
const maxPathsShown = 3

// write renders the "held by" block of a failure message, LeakCanary's
// shape: one line per hop, with counts and sizes.
func (h *HeldBy) write(b *strings.Builder, indent string) {
	if len(h.Paths) == 0 {
		h.writeNotFound(b, indent)
		return
	}
	for i, p := range h.Paths {
		if i == maxPathsShown {
			n := len(h.Paths) - i + h.OtherPaths
			fmt.Fprintf(b, "%s... %d more %s (in the JSON report)\n", indent, n, plural(n, "path", "paths"))
			break
		}
		p.write(b, indent, h)
	}
	if len(h.Paths) <= maxPathsShown && h.OtherPaths > 0 {
		fmt.Fprintf(b, "%s... %d more %s hold %s objects (in the JSON report)\n", indent, h.OtherPaths, plural(h.OtherPaths, "path", "paths"), units.Group(h.OtherObjects))
	}
	for _, n := range h.Notes {
		fmt.Fprintf(b, "%s    (%s)\n", indent, n)
	}
}

// writeTop is the short form of write, under a suspect: the top path
// alone, and how many more the JSON has.
func (h *HeldBy) writeTop(b *strings.Builder, indent string) {
	if len(h.Paths) == 0 {
		return // a suspect gone since (a pool's buffers): nothing to add
	}
	h.Paths[0].write(b, indent, h)
	if n := len(h.Paths) - 1 + h.OtherPaths; n > 0 {
		fmt.Fprintf(b, "%s... %d more %s (in the JSON report)\n", indent, n, plural(n, "path", "paths"))
	}
}

func (h *HeldBy) writeNotFound(b *strings.Builder, indent string) {
	if len(h.Notes) == 0 {
		fmt.Fprintf(b, "%sheld by  (not found)\n", indent)
		return
	}
	fmt.Fprintf(b, "%sheld by  (not found: %s)\n", indent, h.Notes[0])
}

// write renders one path: its head, its root, a line per hop.
func (p RetentionPath) write(b *strings.Builder, indent string, h *HeldBy) {
	fmt.Fprintf(b, "%sheld by (%s)\n", indent, p.head(h.Objects, h.Sampled))
	fmt.Fprintf(b, "%s    %s\n", indent, p.rootText())
	for _, hop := range p.Hops {
		fmt.Fprintf(b, "%s    → %s\n", indent, hop.text())
	}
}

func (h Hop) text() string {
	s := h.What + " allocated at " + h.Site
	what := h.What
	if what == "" {
		what = "object"
	}
	switch {
	case h.BeforeProfiling:
		s = what + " allocated before profiling began"
	case h.Unsampled:
		s = what + " not sampled (its site is unknown)"
	}
	if h.Repeat > 1 {
		s += fmt.Sprintf(" × %s", units.Group(int64(h.Repeat)))
	}
	return s
}

func isHeap(k Kind) bool { return k == KindHeapBytes || k == KindHeapObjects }

// explainHeld asks the run's Holders, once, what holds its heap leaks
// and, under a leaking heap total, the sites growing most without a
// verdict of their own (the suspects the failure message names: a remote
// run proves the exact total and lists its sampled sites so).
func (r *run) explainHeld(ctx context.Context) {
	if r.c.noHeldBy {
		return
	}
	// Each Holder is asked about the sites of its own symbols only: the
	// in-process heap probe dumps this process for its sites, probe.Pprof
	// asks its service for the service's.
	sites := map[int][]string{}
	seen := map[string]bool{}
	add := func(sym Symbol) {
		if !seen[sym.Site()] {
			seen[sym.Site()] = true
			i := r.source[sym]
			sites[i] = append(sites[i], sym.Site())
		}
	}
	var leaks, undecided []Verdict
	for _, sym := range r.order {
		switch {
		case r.sticky[sym] && isHeap(sym.Kind()):
			leaks = append(leaks, r.verdict(sym))
		case r.sticky[SymRuntimeHeapBytes] && sym.Kind() == KindHeapBytes && !r.sticky[sym] && r.results[sym].Decision != decide.Within:
			undecided = append(undecided, r.verdict(sym))
		}
	}
	// The leaks first, in the message's order, then the suspects, as the
	// report will choose them: a Holder that can answer for only so many
	// sites answers for those shown first.
	sortVerdicts(leaks)
	for _, v := range leaks {
		add(v.Symbol)
	}
	sortVerdicts(undecided)
	for _, i := range suspects(undecided) {
		add(undecided[i].Symbol)
	}
	if len(sites) == 0 {
		return
	}
	if ctx.Err() != nil {
		ctx = context.Background() // the run's end is no reason to skip it
	}
	ctx, cancel := context.WithTimeout(ctx, heldByTimeout)
	defer cancel()
	r.heldBy = map[string]*HeldBy{}
	for i, p := range r.probes {
		h, ok := p.(Holder)
		if !ok || len(sites[i]) == 0 {
			continue
		}
		got, err := h.HeldBy(ctx, sites[i])
		if err != nil {
			r.heldByErr = append(r.heldByErr, fmt.Sprintf("%s: %v", p.Name(), err))
			continue
		}
		for site, hb := range got {
			if seen[site] && hb != nil {
				r.heldBy[site] = hb
			}
		}
	}
}

// heldByTimeout bounds the time spent explaining the leaks: a heap dump
// of a large heap and its analysis take seconds, a service's answer may
// take as long.
const heldByTimeout = 2 * time.Minute
