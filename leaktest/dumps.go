package leaktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/leakslope/leakslope/internal/dump"
)

// AnalyzeFiles reads dump files taken at intervals, in order, and trends
// them with Analyze: pprof heap profiles (heap.bytes:SITE,
// heap.objects:SITE), goroutine dumps in debug=2 text (goroutines:SITE)
// and WinDbg/SOS `!dumpheap -stat` logs (heap.bytes:CLASS and
// heap.objects:CLASS from TotalSize and Count). The format is told from
// each file's content.
//
// A file that cannot be read or parsed is an error naming the file and,
// for text, the line; the others are still trended (a file's x is its
// position among paths, so a skipped one leaves a gap), and that report
// comes back with the error.
func AnalyzeFiles(paths []string, opts ...Option) (*Report, error) {
	var (
		snaps []Snapshot
		errs  []error
		d     = &dumpDescriber{}
	)
	for i, path := range paths {
		s, err := readDump(path, d)
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
	rep, err := Analyze(snaps, append([]Option{WithProbes(d)}, opts...)...)
	if err != nil {
		return rep, err
	}
	if rep != nil {
		rep.Target = fmt.Sprintf("%d dump files", len(paths))
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("leaktest.AnalyzeFiles: %w", errors.Join(errs...))
	}
	return rep, nil
}

func readDump(path string, d *dumpDescriber) (Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{Values: map[Symbol]float64{}}
	add := func(samples []Sample) {
		for _, x := range samples {
			s.Values[x.Symbol] += x.Value
		}
	}
	switch dump.Sniff(data) {
	case dump.HeapPprof:
		h, err := dump.ParseHeapProfile(path, bytes.NewReader(data))
		if err != nil {
			return s, err
		}
		add(heapSamples(h))
		s.Time = h.Time
		d.heap = h
	case dump.Goroutines:
		g, err := dump.ParseGoroutines(path, bytes.NewReader(data))
		if err != nil {
			return s, err
		}
		add(goroutineSamples(g))
		d.gor = g
	case dump.SOSStat:
		st, err := dump.ParseDumpheapStat(path, bytes.NewReader(data))
		if err != nil {
			return s, err
		}
		for _, c := range st.Classes {
			if c.Class == "Free" {
				continue // free space between objects, not objects
			}
			s.Values[Symbol(KindHeapBytes+":"+c.Class)] += float64(c.Bytes)
			s.Values[Symbol(KindHeapObjects+":"+c.Class)] += float64(c.Count)
		}
	default:
		if len(bytes.TrimSpace(data)) == 0 {
			return s, fmt.Errorf("%s: empty file", filepath.Clean(path))
		}
		return s, fmt.Errorf("%s: not a pprof heap profile, a goroutine dump (debug=2 text) or a `!dumpheap -stat` log", filepath.Clean(path))
	}
	return s, nil
}

// dumpDescriber names symbols from the last dumps read: stacks for pprof
// profiles and goroutine dumps (SOS logs have none).
type dumpDescriber struct {
	heap *dump.HeapProfile
	gor  *dump.GoroutineDump
}

func (*dumpDescriber) Name() string { return "dump files" }

func (*dumpDescriber) Take(context.Context) ([]Sample, error) { return nil, nil }

func (d *dumpDescriber) Describe(sym Symbol) (fn, site string, frames []string, ok bool) {
	return describeDumps(d.heap, d.gor, sym)
}

func (d *dumpDescriber) inUserCode(sym Symbol) bool { return dumpsInUserCode(d.heap, d.gor, sym) }

func (d *dumpDescriber) resolution(sym Symbol, span float64) float64 {
	return heapResolution(d.heap, sym, span)
}

func (d *dumpDescriber) warnings(rep *Report) []string {
	n := 0
	for _, v := range rep.Verdicts {
		if v.Decision == Undecided && v.Trend.Resolution > 0 {
			n++
		}
	}
	if n == 0 || d.heap == nil || d.heap.Period <= 1 {
		return nil
	}
	return []string{sampledWarning(n, "the pprof dumps", d.heap.Period, "more dumps")}
}
