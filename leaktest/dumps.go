package leaktest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/units"
)

// AnalyzeFiles reads dump files taken at intervals, in order, and trends
// them with Analyze: pprof heap profiles (heap.bytes:SITE,
// heap.objects:SITE), goroutine dumps in debug=2 text (goroutines:SITE),
// WinDbg/SOS `!dumpheap -stat` logs (heap.bytes:CLASS and
// heap.objects:CLASS from TotalSize and Count) and JVM class histograms
// (`jcmd PID GC.class_histogram`, `jmap -histo PID`: the same from
// #bytes and #instances, CLASS as Java writes it, "java.util.HashMap.Node",
// "byte[]"; the JVM's own machinery, such as java.lang.invoke and
// generated reflection accessors, left out). A class histogram's Total
// line, when it gives bytes, is runtime.heap.bytes. The format is told
// from each file's content.
//
// A file that cannot be read or parsed is an error naming the file and,
// for text, the line; the others are still trended (a file's x is its
// position among paths, so a skipped one leaves a gap), and that report
// comes back with the error.
//
// Each file is read up to MaxInput (256 MiB by default), and a gzipped
// profile inflated up to it too: a file over it is an error (and the
// others are still trended).
func AnalyzeFiles(paths []string, opts ...Option) (*Report, error) {
	var (
		snaps []Snapshot
		errs  []error
		d     = &dumpDescriber{set: &dump.Set{}}
		cfg   = newConfig(opts)
	)
	if err := cfg.err(); err != nil {
		// Before reading anything: a bad option costs no file read.
		return nil, fmt.Errorf("leaktest.AnalyzeFiles: %w", err)
	}
	for i, path := range paths {
		s, err := readDump(path, cfg.maxInput, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s.Ops = int64(i + 1)
		snaps = append(snaps, s)
	}
	if len(snaps) == 0 {
		if len(errs) == 0 {
			errs = append(errs, errors.New("no dump files"))
		}
		return nil, fmt.Errorf("leaktest.AnalyzeFiles: %w", errors.Join(errs...))
	}
	// Times only count when every file has one.
	for i := range snaps {
		if snaps[i].Time.IsZero() {
			for j := range snaps {
				snaps[j].Time = time.Time{}
			}
			break
		}
	}
	capped := capSymbols(snaps, cfg.maxSymbols)
	rep, err := analyze(snaps, true, append([]Option{WithProbes(d)}, opts...))
	if err != nil {
		return rep, err
	}
	if rep != nil {
		rep.Target = fmt.Sprintf("%d dump files", len(paths))
		rep.Warnings = append(capped, rep.Warnings...)
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("leaktest.AnalyzeFiles: %w", errors.Join(errs...))
	}
	return rep, nil
}

// readDump reads one dump file, of at most limit bytes. A file that is
// missing or a directory is an error like a malformed one.
func readDump(path string, limit int64, d *dumpDescriber) (Snapshot, error) {
	name := filepath.Clean(path)
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Snapshot{}, fmt.Errorf("%s: %v", name, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return Snapshot{}, fmt.Errorf("%s: is a directory", name)
	}
	data, err := dump.ReadAll(name, f, limit)
	if err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{Values: map[Symbol]float64{}}
	// Each file holds one kind of dump: its values alone go in the snapshot.
	add := func(set *dump.Set) {
		set.Values(func(kind, site string, v float64) { s.Values[Sym(Kind(kind), site)] += v })
	}
	switch f := dump.Sniff(data); f {
	case dump.HeapPprof:
		h, err := dump.ParseHeapProfile(path, bytes.NewReader(data), limit)
		if err != nil {
			return s, err
		}
		add(&dump.Set{Heap: h})
		s.Time = h.Time
		d.set.Heap = h
	case dump.Goroutines:
		g, err := dump.ParseGoroutines(path, bytes.NewReader(data))
		if err != nil {
			return s, err
		}
		add(&dump.Set{Goroutines: g})
		s.Values[SymRuntimeGoroutine] = float64(g.Total)
		d.set.Goroutines = g
	case dump.SOSStat, dump.JVMHistogram:
		h, err := dump.ParseClassHistogram(path, f, bytes.NewReader(data))
		if err != nil {
			return s, err
		}
		// A class's rows (one per class loader on a JVM) are summed.
		left := h.Values(func(kind, class string, v float64) { s.Values[Sym(Kind(kind), class)] += v })
		if h.TotalBytes >= 0 {
			s.Values[SymRuntimeHeapBytes] = float64(h.TotalBytes)
		}
		d.internal = append(d.internal, left)
		d.classes = true
	default:
		if len(bytes.TrimSpace(data)) == 0 {
			return s, fmt.Errorf("%s: empty file", filepath.Clean(path))
		}
		return s, fmt.Errorf("%s: not a pprof heap profile, a goroutine dump (debug=2 text), a `!dumpheap -stat` log or a JVM class histogram", filepath.Clean(path))
	}
	return s, nil
}

// dumpDescriber names symbols from the last dumps read: stacks for pprof
// profiles and goroutine dumps (class histograms have none). It keeps what
// each class histogram read left out as the JVM's own, to say so when
// that grew.
type dumpDescriber struct {
	set      *dump.Set
	internal []dump.ClassTotals
	classes  bool // a class histogram was read
}

func (*dumpDescriber) Name() string { return "dump files" }

func (*dumpDescriber) Take(context.Context) ([]Sample, error) { return nil, nil }

func (d *dumpDescriber) Describe(sym Symbol) (Origin, bool) {
	if o, ok := d.set.Describe(string(sym.Kind()), sym.Site()); ok {
		return Origin(o), true
	}
	return classOrigin(d.classes, sym)
}

// classOrigin is what a class histogram says of a class's symbol: only
// whether it is the service's own class (it leads) or its runtime
// library's.
func classOrigin(classes bool, sym Symbol) (Origin, bool) {
	if k := sym.Kind(); !classes || k != KindHeapBytes && k != KindHeapObjects {
		return Origin{}, false
	}
	return Origin{UserCode: !dump.LibraryClass(sym.Site())}, true
}

func (d *dumpDescriber) Resolution(sym Symbol, span float64) float64 {
	return d.set.Resolution(string(sym.Kind()), sym.Site(), span)
}

func (d *dumpDescriber) Warnings(rep *Report) []string {
	var out []string
	if n := rep.undecidedSampled(); n > 0 && d.set.Period() > 0 {
		out = append(out, dump.SampledWarning(n, "the pprof dumps", d.set.Period(), "more dumps"))
	}
	if n := len(d.internal); n > 0 {
		if w := dump.LeftOutWarning(d.internal[0], d.internal[n-1], "dump"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// DefaultMaxSymbols is how many symbols of a kind AnalyzeFiles trends by
// name (MaxSymbols).
const DefaultMaxSymbols = 1000

// capSymbols keeps, per kind, the max symbols that grew most from their
// first dump to their last (then the largest), and sums the rest of each
// kind into KIND:(others) in every snapshot, so that what a run holds
// and writes stays proportional to what it shows (a dump of 200,000
// classes). It says so, per kind capped.
func capSymbols(snaps []Snapshot, max int) []string {
	if max <= 0 {
		max = DefaultMaxSymbols
	}
	type stat struct{ first, last, peak float64 }
	stats := map[Symbol]*stat{}
	byKind := map[Kind][]Symbol{}
	for i, s := range snaps {
		for sym, v := range s.Values {
			st := stats[sym]
			if st == nil {
				// Missing from the earlier dumps is 0 there, as it is fitted.
				st = &stat{}
				if i == 0 {
					st.first = v
				}
				stats[sym] = st
				if sym.Site() != "" {
					byKind[sym.Kind()] = append(byKind[sym.Kind()], sym)
				}
			}
			st.last, st.peak = v, math.Max(st.peak, v)
		}
	}
	var warnings []string
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		syms := byKind[k]
		if len(syms) <= max {
			continue
		}
		slices.SortFunc(syms, func(a, b Symbol) int {
			sa, sb := stats[a], stats[b]
			return cmp.Or(cmp.Compare(sb.last-sb.first, sa.last-sa.first), cmp.Compare(sb.peak, sa.peak), strings.Compare(string(a), string(b)))
		})
		other := Sym(k, "(others)")
		for _, sym := range syms[max:] {
			for i := range snaps {
				if v, ok := snaps[i].Values[sym]; ok {
					snaps[i].Values[other] += v
					delete(snaps[i].Values, sym)
				}
			}
		}
		warnings = append(warnings, fmt.Sprintf("%s %s symbols: the %s that grew most are trended by name, the other %s summed as %s (leaktest.MaxSymbols)",
			units.Group(int64(len(syms))), k, units.Group(int64(max)), units.Group(int64(len(syms)-max)), other))
	}
	return warnings
}
