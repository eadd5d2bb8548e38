package dump

import (
	"fmt"
	"io"
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
	Raw    []byte    // the profile as read
}

// ParseHeapProfile reads a pprof heap profile (gzipped or raw protobuf, or
// the legacy text forms profile.Parse accepts) and charges each sample's
// in-use bytes and objects to an allocation site the way the in-process
// probe does: the innermost frame outside the runtime and the standard
// library. Runtime caches are left out. name is used in errors.
func ParseHeapProfile(name string, r io.Reader) (*HeapProfile, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	p, err := profile.ParseData(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not a pprof profile: %v", name, err)
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
	out := &HeapProfile{Sites: map[string]*HeapSite{}, Raw: raw}
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
