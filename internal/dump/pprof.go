package dump

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/leakslope/leakslope/internal/stack"
)

// HeapSite is one allocation site of a heap profile: the in-use bytes and
// objects charged to it, and the stack of its largest sample.
type HeapSite struct {
	Site    string // "pkg.Func file.go:LINE", as in-process heap symbols
	Charged stack.Frame
	Class   stack.Class
	Frames  []stack.Frame // innermost first, of the site's largest sample
	Bytes   float64
	Objects float64

	top float64
}

// HeapProfile is a pprof heap profile reduced to allocation sites.
type HeapProfile struct {
	Sites map[string]*HeapSite
	// Period is the sampling period in bytes (Go's MemProfileRate, 512 KiB
	// unless the service changed it); 0 when unknown. Values are already
	// scaled up from the samples, as pprof shows them.
	Period int64
	Time   time.Time // when it was taken; zero when unknown
	Raw    []byte    // the profile as read; nil for a legacy text profile (Proto writes it anew)

	legacy *profile.Profile // a legacy text profile, symbolized, for Proto
}

// Proto is the profile as a gzipped pprof proto, for `go tool pprof`: Raw
// when it is one, else (a legacy text profile) the parsed and symbolized
// profile written anew, dated Time when known.
func (h *HeapProfile) Proto() ([]byte, error) {
	if h.legacy == nil {
		return h.Raw, nil
	}
	p := h.legacy.Copy()
	if !h.Time.IsZero() {
		p.TimeNanos = h.Time.UnixNano()
	}
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseHeapProfile reads a pprof heap profile (gzipped or raw protobuf, or
// the legacy text forms profile.Parse accepts) and charges each sample's
// in-use bytes and objects to an allocation site the way the in-process
// probe does: the innermost frame outside the runtime and the standard
// library. Runtime caches are left out. name is used in errors.
//
// Go's legacy text form (/debug/pprof/heap?debug=1) is named from the
// frame comments under each record, which profile.Parse skips: its sites,
// bytes, objects and Period come out as from the proto form of the same
// profile, and Proto writes it as one. Its runtime.MemStats trailer is
// ParseMemStats'.
//
// At most limit bytes are read, and a gzipped profile inflates to at most
// limit (MaxInput for 0): more is a *TooLargeError.
func ParseHeapProfile(name string, r io.Reader, limit int64) (*HeapProfile, error) {
	raw, err := ReadAll(name, r, limit)
	if err != nil {
		return nil, err
	}
	// profile.ParseData inflates gzip without a bound: inflate it here.
	data, err := gunzip(name, raw, limit)
	if err != nil {
		return nil, err
	}
	p, err := profile.ParseData(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a pprof profile: %v", name, err)
	}
	var legacy *profile.Profile
	if isLegacyHeap(data) {
		symbolize(p, data)
		legacy = p
	}
	space, objects := -1, -1
	var types []string
	for i, st := range p.SampleType {
		types = append(types, st.Type+"/"+st.Unit)
		switch st.Type {
		case "inuse_space":
			space = i
		case "inuse_objects":
			objects = i
		}
	}
	if space < 0 || objects < 0 {
		return nil, fmt.Errorf("%s: not a heap profile: want sample types inuse_space and inuse_objects, have %s", name, strings.Join(types, ", "))
	}
	out := &HeapProfile{Sites: map[string]*HeapSite{}, Raw: raw, legacy: legacy}
	if legacy != nil {
		out.Raw = nil // MiBs of text, of which Proto needs only the parsed profile
	}
	if p.PeriodType != nil && p.PeriodType.Unit == "bytes" {
		out.Period = p.Period
	}
	if p.TimeNanos > 0 {
		out.Time = time.Unix(0, p.TimeNanos)
	}
	for _, s := range p.Sample {
		if len(s.Value) != len(p.SampleType) {
			return nil, fmt.Errorf("%s: a sample has %d values for %d sample types", name, len(s.Value), len(p.SampleType))
		}
		b, n := float64(s.Value[space]), float64(s.Value[objects])
		if b == 0 && n == 0 {
			continue
		}
		frames := sampleFrames(s)
		fr, class := stack.Attribute(frames)
		if class == stack.Runtime || fr.Func == "" {
			continue
		}
		site := fr.Site()
		hs := out.Sites[site]
		if hs == nil {
			hs = &HeapSite{Site: site, Charged: fr, Class: class}
			out.Sites[site] = hs
		}
		hs.Bytes += b
		hs.Objects += n
		if b > hs.top || hs.Frames == nil {
			hs.top, hs.Frames = b, frames
		}
	}
	return out, nil
}

// sampleFrames expands a sample's locations, inlined calls included,
// innermost first (pprof lists a location's inlined lines innermost
// first, the caller they were inlined into last).
func sampleFrames(s *profile.Sample) []stack.Frame {
	var out []stack.Frame
	for _, loc := range s.Location {
		for _, ln := range loc.Line {
			if ln.Function == nil {
				continue
			}
			out = append(out, stack.Frame{Func: ln.Function.Name, File: ln.Function.Filename, Line: int(ln.Line)})
		}
	}
	return out
}

// isLegacyHeap tells Go's legacy text heap profile ("heap profile: ...").
func isLegacyHeap(raw []byte) bool {
	return bytes.HasPrefix(bytes.TrimLeft(raw, " \t\r\n"), []byte("heap profile:"))
}

// symbolize names the locations of a legacy text heap profile from the
// comments runtime/pprof writes under each record, one a frame (inlined
// calls included, each at its own PC), tab-aligned:
//
//	#	0x4a5b6c	main.leak+0x2c		/src/main.go:23
//
// The PC is the record's return address less one, which is the address
// profile.Parse gives the location. Locations with no comment (the
// runtime frames at the top of an allocation, hidden by runtime/pprof as
// its proto writer hides them) are dropped from the samples. A profile
// with no frame comments is left as it is.
func symbolize(p *profile.Profile, raw []byte) {
	frames := map[uint64]stack.Frame{}
	for line := range bytes.Lines(raw) {
		if len(line) < 2 || line[0] != '#' || line[1] != '\t' {
			continue
		}
		f := strings.FieldsFunc(string(line[1:]), func(r rune) bool { return r == '\t' || r == '\n' || r == '\r' })
		if len(f) != 3 {
			continue
		}
		pc, err := strconv.ParseUint(f[0], 0, 64)
		fn, _, ok1 := cutLast(f[1], "+0x")
		file, ln, ok2 := cutLast(f[2], ":")
		n, err2 := strconv.Atoi(ln)
		if err != nil || !ok1 || !ok2 || err2 != nil || fn == "" {
			continue
		}
		frames[pc] = stack.Frame{Func: fn, File: file, Line: n}
	}
	if len(frames) == 0 {
		return
	}
	funcs := map[[2]string]*profile.Function{}
	named := map[*profile.Location]bool{}
	p.Function = nil
	var locs []*profile.Location
	for _, loc := range p.Location {
		fr, ok := frames[loc.Address]
		if !ok {
			continue
		}
		key := [2]string{fr.Func, fr.File}
		fn := funcs[key]
		if fn == nil {
			fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: fr.Func, SystemName: fr.Func, Filename: fr.File}
			funcs[key] = fn
			p.Function = append(p.Function, fn)
		}
		loc.ID = uint64(len(locs) + 1)
		loc.Line = []profile.Line{{Function: fn, Line: int64(fr.Line)}}
		locs = append(locs, loc)
		named[loc] = true
	}
	p.Location = locs
	for _, s := range p.Sample {
		kept := s.Location[:0]
		for _, loc := range s.Location {
			if named[loc] {
				kept = append(kept, loc)
			}
		}
		s.Location = kept
	}
}

// cutLast cuts s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
