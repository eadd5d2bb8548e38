package leaktest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/google/pprof/profile"

	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/retain"
	"github.com/leakslope/leakslope/internal/stack"
	"github.com/leakslope/leakslope/internal/units"
)

// Blocked is what the runtime's goroutine leak detection (Go 1.27's
// goroutineleak profile) found of one creation site: goroutines blocked
// forever on a channel, mutex or condition variable that nothing
// reachable can ever wake. It is proof, not a trend: a goroutine so
// blocked never runs again, so a run that created one leaked it, however
// short the run. A verdict with Blocked is a leak whatever its budget.
type Blocked struct {
	// Goroutines counts them. From a Blocker, those of the site that were
	// not alive at the probe's first snapshot; in a Verdict, those charged
	// to the run: the Labeled ones, and of the others as many as the
	// site's live goroutines grew by during the run beyond the Labeled.
	Goroutines int
	// Labeled counts those that carry the run's profiler label
	// ("leakslope.run"): created under its ops, by them or by goroutines
	// they started. The hammer's workers run ops with it, so it is exact
	// for what a func target starts; goroutines started elsewhere (an
	// in-process server's handlers, a remote service's) carry none.
	Labeled int
	// Wait is what one of them waits on, as the runtime says: "chan
	// receive", "chan send (nil chan)", "sync.WaitGroup.Wait", "select".
	Wait string
	// Stack is that one's stack, innermost first, "func\n\tfile:line".
	Stack []string
}

// runLabel is the profiler label the hammer's workers run ops under, with
// the run's id: goroutines inherit their creator's labels, so the
// goroutine leak profile tells the goroutines a run's ops started from
// other code's.
const runLabel = "leakslope.run"

var runIDs atomic.Int64

// newRunID names a run for its label, unique in the process.
func newRunID() string { return strconv.FormatInt(runIDs.Add(1), 10) }

// Blocked asks this process's runtime which goroutines are blocked
// forever (Go 1.27's goroutineleak profile; nil, nil where the toolchain
// has none). Only WriteTo runs a detection (a Count alone reports the last
// one), so the profile is written: its samples carry the goroutines'
// labels, by stack. The goroutines it marked leaked stay marked until the
// next detection, and runtime.Stack shows them so ("[chan receive
// (leaked)]"), with their ids and creation sites, and with their labels
// where it prints them; else the two are matched by stack. Goroutines
// alive at the first snapshot are left out.
func (p *goroutineProbe) Blocked(ctx context.Context, run string) (map[Symbol]*Blocked, error) {
	prof := pprof.Lookup("goroutineleak")
	if prof == nil {
		return nil, nil
	}
	var (
		d    *dump.GoroutineDump
		mine map[string]int // the run's labeled goroutines, by stack key
		err  error
	)
	// A detection running meanwhile elsewhere in the process (a
	// /debug/pprof/goroutineleak request) resets the marks while it
	// marks: the traceback may show fewer than the profile had. (One
	// fewer is the main goroutine in select{}, which the runtime counts,
	// then unmarks.)
	for try := 0; ; try++ {
		var total int
		retain.Exclusive(func() {
			var buf bytes.Buffer
			if err = prof.WriteTo(&buf, 0); err != nil {
				err = fmt.Errorf("goroutineleak profile: %w", err)
				return
			}
			var pr *profile.Profile
			if pr, err = profile.Parse(&buf); err != nil {
				err = fmt.Errorf("goroutineleak profile: %w", err)
				return
			}
			mine, total = labelsByStack(pr, run)
			d, err = dump.ParseLeakedGoroutines("runtime.Stack", bytes.NewReader(p.stacks()))
		})
		if err != nil {
			return nil, err
		}
		if d.Total+1 >= total || try == 2 || ctx.Err() != nil {
			break
		}
	}
	// A stack in more than one site: its labels cannot say whose.
	sitesOf := map[string]int{}
	names := make([]string, 0, len(d.Sites))
	for name, s := range d.Sites {
		names = append(names, name)
		for key := range s.Stacks {
			sitesOf[key]++
		}
	}
	slices.Sort(names)
	out := map[Symbol]*Blocked{}
	for _, name := range names {
		s := d.Sites[name]
		if stack.IsOwn(stack.Package(s.Creator.Func)) {
			continue // the hammer's and leakslope's own
		}
		b := &Blocked{}
		var shown *dump.LeakedGoroutine
		for i := range s.Leaked {
			g := &s.Leaked[i]
			if _, ok := p.before[g.ID]; ok {
				continue // alive before the run
			}
			b.Goroutines++
			var labeled bool
			if g.Labels != "" {
				// The traceback printed its labels (Go 1.27's default for
				// a module at go 1.27): exact.
				v, ok := dump.Label(g.Labels, runLabel)
				labeled = ok && v == run
			} else {
				labeled = sitesOf[g.Key] == 1 && mine[g.Key] > 0
			}
			if labeled {
				mine[g.Key] = max(0, mine[g.Key]-1)
				b.Labeled++
			}
			if shown == nil || labeled && b.Labeled == 1 {
				shown = g // one of the run's, when it has some
			}
		}
		if b.Goroutines == 0 {
			continue
		}
		b.Wait, b.Stack = shown.Wait, s.Stacks[shown.Key]
		sym := Sym(KindGoroutines, s.Creator.Site())
		if _, ok := p.creator[sym]; !ok {
			p.creator[sym] = goroutineSite{fn: s.Creator.Func, loc: fmt.Sprintf("%s:%d", s.Creator.File, s.Creator.Line)}
		}
		out[sym] = b
	}
	return out, nil
}

// stacks is runtime.Stack of every goroutine.
func (p *goroutineProbe) stacks() []byte {
	for {
		n := runtime.Stack(p.buf, true)
		if n < len(p.buf) {
			return p.buf[:n]
		}
		p.buf = make([]byte, 2*len(p.buf))
	}
}

// labelsByStack counts a goroutine leak profile's goroutines with the
// run's label by stack key, and all of them.
func labelsByStack(pr *profile.Profile, run string) (mine map[string]int, total int) {
	mine = map[string]int{}
	var frames []stack.Frame
	for _, s := range pr.Sample {
		if len(s.Value) == 0 {
			continue
		}
		n := int(s.Value[0])
		total += n
		if !slices.Contains(s.Label[runLabel], run) {
			continue
		}
		frames = frames[:0]
		for _, loc := range s.Location {
			for _, ln := range loc.Line {
				if ln.Function != nil {
					frames = append(frames, stack.Frame{Func: ln.Function.Name, File: ln.Function.Filename, Line: int(ln.Line)})
				}
			}
		}
		mine[stack.Key(frames)] += n
	}
	return mine, total
}

// findBlocked asks the run's Blockers, once, at its end, which goroutines
// are blocked forever, and charges the run with its own. It runs after
// explainHeld: once a detection has marked goroutines leaked, the
// runtime's heap dump crashes on them (retain refuses it), and they stay
// marked for the life of the process.
func (r *run) findBlocked(ctx context.Context) {
	if ctx.Err() != nil {
		ctx = context.Background() // the run's end is no reason to skip it
	}
	ctx, cancel := context.WithTimeout(ctx, heldByTimeout)
	defer cancel()
	// A detection marks every goroutine blocked forever in the process,
	// other code's too, and a heap dump (held by, in a later run) is
	// refused while any is marked: a probe is asked only when some
	// goroutine site of its grew during the run, which whatever the run
	// leaked did.
	grew := map[int]bool{}
	for sym, i := range r.source {
		if sym.Kind() == KindGoroutines && r.growth(sym) > 0 {
			grew[i] = true
		}
	}
	var others []string
	otherN := 0
	for i, p := range r.probes {
		bl, ok := p.(Blocker)
		if !ok || !grew[i] {
			continue
		}
		got, err := bl.Blocked(ctx, r.label)
		if err != nil {
			r.blockedErr = append(r.blockedErr, fmt.Sprintf("%s: goroutine leak detection: %v", p.Name(), err))
			continue
		}
		syms := make([]Symbol, 0, len(got))
		for sym := range got {
			syms = append(syms, sym)
		}
		slices.Sort(syms)
		for _, sym := range syms {
			b := got[sym]
			labeled := min(b.Labeled, b.Goroutines)
			n := labeled + min(b.Goroutines-labeled, max(0, r.growth(sym)-labeled))
			if left := b.Goroutines - n; left > 0 {
				otherN += left
				others = append(others, fmt.Sprintf("%s (%d)", sym.Site(), left))
			}
			if n == 0 {
				continue
			}
			if r.blocked == nil {
				r.blocked = map[Symbol]*Blocked{}
			}
			r.blocked[sym] = &Blocked{Goroutines: n, Labeled: labeled, Wait: b.Wait, Stack: b.Stack}
		}
	}
	if otherN > 0 {
		more := ""
		if len(others) > 3 {
			more = fmt.Sprintf(", and %d more sites", len(others)-3)
			others = others[:3]
		}
		r.blockedErr = append(r.blockedErr, fmt.Sprintf("the runtime's goroutine leak detection found %s %s blocked forever, started during the run without its label, that are not charged to it: their sites grew by less (other code may have started them): %s%s",
			units.Group(int64(otherN)), plural(otherN, "goroutine", "goroutines"), strings.Join(others, ", "), more))
	}
}

// growth is how much a symbol's value grew over the run: its last
// snapshot's over its first (the op-0 baseline), 0 when it fell or was
// never seen.
func (r *run) growth(sym Symbol) int {
	col := r.hist.cols[sym]
	first, last := -1.0, 0.0
	for _, v := range col {
		if math.IsNaN(v) { // a gap
			continue
		}
		if first < 0 {
			first = v
		}
		last = v
	}
	if first < 0 || last <= first {
		return 0
	}
	return int(last - first)
}

// proven makes a leak of a verdict that the run's goroutines blocked
// forever prove, showing their blocking stack.
func (r *run) proven(v *Verdict) {
	b := r.blocked[v.Symbol]
	if b == nil {
		return
	}
	v.Decision, v.Blocked = Leak, b
	v.Stopped, v.Tolerated = false, false
	if len(b.Stack) > 0 {
		v.Stack = b.Stack
	}
}

// unseenBlocked gives verdicts for the sites of goroutines blocked
// forever that no snapshot saw (none of them alive at any): no series,
// only the proof.
func (r *run) unseenBlocked(seen []Symbol) []Verdict {
	var out []Verdict
	for sym := range r.blocked {
		if slices.Contains(seen, sym) {
			continue
		}
		nan := math.NaN()
		v := Verdict{Symbol: sym, Budget: *r.budgetFor(sym), First: nan, Last: nan, Origin: r.origin(sym),
			Trend: Trend{PerOp: nan, PerOpLo: nan, PerOpHi: nan, PerSecond: nan, PerSecondLo: nan, PerSecondHi: nan, Level: nan, P: nan}}
		r.proven(&v)
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Symbol < out[j].Symbol })
	return out
}

// text says what the runtime proved of a verdict's goroutines:
// "37 goroutines blocked forever (chan receive), found by the runtime's
// goroutine leak detection".
func (b *Blocked) text() string {
	wait := ""
	if b.Wait != "" {
		wait = " (" + b.Wait + ")"
	}
	return fmt.Sprintf("%s %s blocked forever%s, found by the runtime's goroutine leak detection", units.Group(int64(b.Goroutines)), plural(b.Goroutines, "goroutine", "goroutines"), wait)
}
