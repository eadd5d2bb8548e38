package dump

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

// BenchmarkParseGoroutines parses a dump of 10,000 goroutines from 100
// creation sites: a leaking service's /debug/pprof/goroutine?debug=2.
func BenchmarkParseGoroutines(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, "goroutine %d [chan receive, 3 minutes]:\nmain.worker%d(0xc000010000)\n\t/srv/app/worker.go:%d +0x1c\ncreated by main.start in goroutine 1\n\t/srv/app/main.go:%d +0x45\n\n", i+1, i%100, 10+i%100, 100+i%100)
	}
	in := []byte(sb.String())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		d, err := ParseGoroutines("bench", bytes.NewReader(in))
		if err != nil || d.Total != 10000 || len(d.Sites) != 100 {
			b.Fatalf("%v %d %d", err, d.Total, len(d.Sites))
		}
	}
}

// BenchmarkParseHeapProfile parses one of the analyze test profiles.
func BenchmarkParseHeapProfile(b *testing.B) {
	in, err := os.ReadFile("testdata/pprof/heap.pb.gz")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseHeapProfile("bench", bytes.NewReader(in), 0); err != nil {
			b.Fatal(err)
		}
	}
}
