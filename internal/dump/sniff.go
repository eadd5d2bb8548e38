package dump

import (
	"bytes"

	"github.com/google/pprof/profile"
)

// Format is what a dump file holds.
type Format int

const (
	Unknown      Format = iota
	HeapPprof           // a pprof profile (gzipped or raw protobuf)
	Goroutines          // a goroutine dump, debug=2 text
	SOSStat             // a `!dumpheap -stat` log
	JVMHistogram        // a JVM class histogram (jcmd GC.class_histogram, jmap -histo)
)

func (f Format) String() string {
	return [...]string{"unknown", "pprof profile", "goroutine dump", "!dumpheap -stat log", "JVM class histogram"}[f]
}

// Sniff tells the format of a dump from its content.
func Sniff(data []byte) Format {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return HeapPprof
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if bytes.HasPrefix(text, []byte("goroutine ")) {
		return Goroutines
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		f := fieldStrings(bytes.TrimPrefix(line, []byte("\ufeff")))
		switch {
		case isHeader(f):
			return SOSStat
		case isJVMHeader(f):
			return JVMHistogram
		}
	}
	if _, err := profile.ParseData(data); err == nil && len(data) > 0 {
		return HeapPprof
	}
	return Unknown
}

func fieldStrings(line []byte) []string {
	f := bytes.Fields(line)
	out := make([]string, len(f))
	for i, b := range f {
		out[i] = string(b)
	}
	return out
}
