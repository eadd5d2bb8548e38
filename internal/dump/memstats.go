package dump

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MemStats is the runtime.MemStats trailer of a Go heap profile in the
// legacy text form (/debug/pprof/heap?debug=1). runtime/pprof reads the
// stats before the profile records, so with ?gc=1 they are the heap
// right after the forced collection: HeapAlloc is then the live heap,
// exact (not sampled), plus what the service allocated since.
type MemStats struct {
	HeapAlloc    uint64 // bytes of allocated heap objects: the live heap right after a GC
	HeapObjects  uint64
	HeapInuse    uint64
	HeapIdle     uint64
	HeapReleased uint64
	HeapSys      uint64
	Alloc        uint64 // = HeapAlloc
	TotalAlloc   uint64
	Sys          uint64
	Mallocs      uint64
	Frees        uint64
	StackInuse   uint64
	StackSys     uint64
	NextGC       uint64
	NumGC        uint64
	NumForcedGC  uint64
	MaxRSS       uint64 // 0 where the platform does not report it
	Line         int    // the line of "# runtime.MemStats"
}

// ErrNoMemStats is wrapped by ParseMemStats' error when the text has no
// runtime.MemStats trailer: a proto profile, or a pprof handler other
// than the standard one.
var ErrNoMemStats = errors.New("no runtime.MemStats trailer (the one net/http/pprof writes at the end of /debug/pprof/heap?debug=1)")

// memStatsHeader opens the trailer, as runtime/pprof writes it.
const memStatsHeader = "# runtime.MemStats"

// maxMemStatsLine bounds a line of the trailer (PauseNs, 256 numbers, is
// the longest: under 6 KB).
const maxMemStatsLine = 64 << 10

// ParseMemStats reads the runtime.MemStats trailer of a legacy text heap
// profile, as runtime/pprof's writeHeapInternal writes it:
//
//	# runtime.MemStats
//	# Alloc = 3345368
//	...
//	# Stack = 425984 / 425984
//	# PauseNs = [342661 323565 0 ...]
//	# GCCPUFraction = 0.05
//	# DebugGC = false
//	# MaxRSS = 29425664
//
// Lines before the trailer (the profile's records) are skipped, however
// long. No trailer is an error wrapping ErrNoMemStats; a malformed one (a
// line not "# Name = value", a number that does not parse, no HeapAlloc)
// is an error naming name and the line. Names it does not know (a later
// Go's) are skipped. name is used in errors.
func ParseMemStats(name string, r io.Reader) (MemStats, error) {
	br := bufio.NewReaderSize(r, maxMemStatsLine)
	var (
		m       MemStats
		in      bool // inside the trailer
		hasHeap bool
		n       int
	)
	for {
		line, long, err := readLine(br)
		if err != nil && err != io.EOF {
			return MemStats{}, fmt.Errorf("%s: %v", name, err)
		}
		if err == io.EOF && len(line) == 0 && !long {
			break
		}
		n++
		trimmed := bytes.TrimSpace(line)
		if !in && !bytes.Equal(trimmed, []byte(memStatsHeader)) {
			if err == io.EOF {
				break
			}
			continue // a profile record: no string made of it
		}
		text := string(trimmed)
		switch {
		case text == memStatsHeader:
			// A second trailer (two profiles run together) replaces the first.
			m, in, hasHeap = MemStats{Line: n}, true, false
		case long:
			return MemStats{}, fmt.Errorf("%s:%d: a runtime.MemStats line over %d bytes", name, n, maxMemStatsLine)
		case text == "":
		default:
			key, val, ok := strings.Cut(strings.TrimPrefix(text, "#"), "=")
			key, val = strings.TrimSpace(key), strings.TrimSpace(val)
			if !strings.HasPrefix(text, "# ") || !ok || key == "" || strings.ContainsAny(key, " \t") {
				return MemStats{}, fmt.Errorf("%s:%d: in the runtime.MemStats trailer: want \"# Name = value\", have %q", name, n, clipText(text))
			}
			if err := m.set(key, val); err != nil {
				return MemStats{}, fmt.Errorf("%s:%d: runtime.MemStats %s: %v", name, n, key, err)
			}
			hasHeap = hasHeap || key == "HeapAlloc"
		}
		if err == io.EOF {
			break
		}
	}
	if !in {
		return MemStats{}, fmt.Errorf("%s: %w", name, ErrNoMemStats)
	}
	if !hasHeap {
		return MemStats{}, fmt.Errorf("%s:%d: the runtime.MemStats trailer has no HeapAlloc", name, m.Line)
	}
	return m, nil
}

// memStatsOne are the trailer's "# Name = N" lines that MemStats keeps;
// memStatsTwo its "# Name = INUSE / SYS" lines.
var (
	memStatsOne = map[string]func(*MemStats) *uint64{
		"Alloc": func(m *MemStats) *uint64 { return &m.Alloc }, "TotalAlloc": func(m *MemStats) *uint64 { return &m.TotalAlloc },
		"Sys": func(m *MemStats) *uint64 { return &m.Sys }, "Mallocs": func(m *MemStats) *uint64 { return &m.Mallocs },
		"Frees": func(m *MemStats) *uint64 { return &m.Frees }, "HeapAlloc": func(m *MemStats) *uint64 { return &m.HeapAlloc },
		"HeapSys": func(m *MemStats) *uint64 { return &m.HeapSys }, "HeapIdle": func(m *MemStats) *uint64 { return &m.HeapIdle },
		"HeapInuse": func(m *MemStats) *uint64 { return &m.HeapInuse }, "HeapReleased": func(m *MemStats) *uint64 { return &m.HeapReleased },
		"HeapObjects": func(m *MemStats) *uint64 { return &m.HeapObjects }, "NextGC": func(m *MemStats) *uint64 { return &m.NextGC },
		"NumGC": func(m *MemStats) *uint64 { return &m.NumGC }, "NumForcedGC": func(m *MemStats) *uint64 { return &m.NumForcedGC },
		"MaxRSS": func(m *MemStats) *uint64 { return &m.MaxRSS },
	}
	memStatsTwo = map[string]func(*MemStats) (*uint64, *uint64){
		"Stack":  func(m *MemStats) (*uint64, *uint64) { return &m.StackInuse, &m.StackSys },
		"MSpan":  func(*MemStats) (*uint64, *uint64) { return nil, nil }, // checked, not kept
		"MCache": func(*MemStats) (*uint64, *uint64) { return nil, nil },
	}
	// memStatsInts are the other integer lines: checked, not kept.
	memStatsInts = map[string]bool{"Lookups": true, "BuckHashSys": true, "GCSys": true, "OtherSys": true, "LastGC": true}
)

// set checks one trailer value and keeps it if MemStats has a field for
// it; names it does not know (a later Go's) are skipped.
func (m *MemStats) set(key, val string) error {
	if f, ok := memStatsOne[key]; ok {
		v, err := parseUint(val)
		*f(m) = v
		return err
	}
	if memStatsInts[key] {
		_, err := parseUint(val)
		return err
	}
	if f, ok := memStatsTwo[key]; ok {
		a, b, ok := strings.Cut(val, "/")
		if !ok {
			return fmt.Errorf("want \"INUSE / SYS\", have %q", clipText(val))
		}
		inuse, err := parseUint(strings.TrimSpace(a))
		if err != nil {
			return err
		}
		sys, err := parseUint(strings.TrimSpace(b))
		if err != nil {
			return err
		}
		if pi, ps := f(m); pi != nil {
			*pi, *ps = inuse, sys
		}
		return nil
	}
	switch key {
	case "PauseNs", "PauseEnd":
		inner, ok := strings.CutPrefix(val, "[")
		if inner, ok = strings.CutSuffix(inner, "]"); !ok {
			return fmt.Errorf("want \"[N N ...]\", have %q", clipText(val))
		}
		for _, f := range strings.Fields(inner) {
			if _, err := parseUint(f); err != nil {
				return err
			}
		}
	case "GCCPUFraction":
		if f, err := strconv.ParseFloat(val, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%q is not a number", clipText(val))
		}
	case "DebugGC":
		if _, err := strconv.ParseBool(val); err != nil {
			return fmt.Errorf("%q is not true or false", clipText(val))
		}
	}
	return nil
}

func parseUint(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a byte count or count (an unsigned integer)", clipText(s))
	}
	return v, nil
}

// readLine reads a line without its newline; the slice is valid until
// the next read. A line over the reader's buffer (64 KiB: no trailer
// line is near that) is skipped as it is read, so a long profile record
// costs no memory, and comes back empty with long set.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = true
			continue
		}
		if long {
			return nil, true, err
		}
		return bytes.TrimSuffix(frag, []byte("\n")), false, err
	}
}

func clipText(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
