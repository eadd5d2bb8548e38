package heapdump

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// enc writes the format as runtime/heapdump.go does, for synthetic dumps.
type enc struct{ bytes.Buffer }

func (e *enc) int(vs ...uint64) *enc {
	for _, v := range vs {
		e.Write(binary.AppendUvarint(nil, v))
	}
	return e
}

func (e *enc) str(s string) *enc {
	e.int(uint64(len(s)))
	e.WriteString(s)
	return e
}

func (e *enc) params(version string) *enc {
	e.WriteString(header)
	return e.int(tagParams, 0, 8, 0x1000, 0x100000).str("amd64").str(version).int(2)
}

func word(v uint64) string {
	return string(binary.LittleEndian.AppendUint64(nil, v))
}

// synthetic is a small dump: two objects, the first pointing to the
// second, a data slot pointing to the first, a goroutine with a frame, a
// bucket and a sample.
func synthetic() []byte {
	e := (&enc{}).params("go1.26.8")
	e.int(tagObject, 0x2000).str(word(0x3008)+word(7)).int(fieldPtr, 0, fieldEol)
	e.int(tagObject, 0x3000).str(word(0) + word(0)).int(fieldEol)
	e.int(tagGoroutine, 0x9000, 0, 7, 0x401000, 4, 0, 0, 0).str("chan receive").int(0, 0, 0, 0)
	e.int(tagStackFrame, 0x7000, 0, 0).str(word(0x2000)).int(0x401000, 0x401010, 0).str("main.worker").int(fieldPtr, 0, fieldEol)
	e.int(tagData, 0x500000).str(word(0x2000)+word(0x500000)).int(fieldPtr, 0, fieldPtr, 8, fieldEol)
	e.int(tagBSS, 0x600000).str("").int(fieldEol)
	e.int(tagMemProf, 0xb000, 16, 2).str("runtime.newobject").str("malloc.go").int(1).str("main.f").str("main.go").int(12).int(3, 1)
	e.int(tagAllocSample, 0x3000, 0xb000)
	e.int(tagFinalizer, 0x3000, 0x4000, 0x401020, 0, 0)
	e.int(tagEOF)
	return e.Bytes()
}

func read(b []byte) (*Dump, error) { return Read(bytes.NewReader(b), int64(len(b)), 0) }

func TestSynthetic(t *testing.T) {
	d, err := read(synthetic())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Objects) != 2 || d.Objects[0].Addr != 0x2000 || d.Objects[1].Size != 16 {
		t.Fatalf("objects %+v", d.Objects)
	}
	// An interior pointer is kept; 7 is not a heap address.
	if got := d.Pointers(&d.Objects[0]); len(got) != 1 || got[0] != 0x3008 {
		t.Errorf("pointers of the first object: %x", got)
	}
	if d.Find(0x3008) != 1 || d.Find(0x3010) != -1 || d.Find(0x1fff) != -1 {
		t.Errorf("Find")
	}
	if len(d.Frames) != 1 || d.Frames[0].Func != "main.worker" || len(d.Frames[0].Ptrs) != 1 || d.Goroutines[0].GoPC != 0x401000 {
		t.Errorf("goroutine %+v frames %+v", d.Goroutines, d.Frames)
	}
	// Data slots keep static pointers too.
	if len(d.Data.Slots) != 2 || d.Data.Slots[1].Value != 0x500000 {
		t.Errorf("data slots %+v", d.Data.Slots)
	}
	if len(d.Buckets) != 1 || d.Buckets[0].Stack[1] != (Location{"main.f", "main.go", 12}) || d.Buckets[0].Allocs != 3 {
		t.Errorf("buckets %+v", d.Buckets)
	}
	if len(d.Samples) != 1 || len(d.Finalizers) != 1 || d.Finalizers[0].Fn != 0x4000 {
		t.Errorf("samples %+v finalizers %+v", d.Samples, d.Finalizers)
	}
}

// TestOwnDump reads a dump this test binary writes: the runtime's own
// format, of the toolchain in use.
func TestOwnDump(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dump")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	keep := make([]*[64]byte, 1000)
	for i := range keep {
		keep[i] = new([64]byte)
	}
	runtime.GC()
	debug.WriteHeapDump(f.Fd())
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := read(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Params.Version != runtime.Version() || d.Params.PtrSize != 8 && d.Params.PtrSize != 4 {
		t.Errorf("params %+v", d.Params)
	}
	found := 0
	for _, p := range keep {
		if i := d.Find(uint64(uintptrOf(p))); i >= 0 && d.Objects[i].Size >= 64 {
			found++
		}
	}
	if found != len(keep) || len(d.Goroutines) == 0 || len(d.Frames) == 0 || len(d.Data.Slots)+len(d.BSS.Slots) == 0 {
		t.Errorf("%d of %d live objects found; %d goroutines, %d frames", found, len(keep), len(d.Goroutines), len(d.Frames))
	}
	runtime.KeepAlive(keep)

	// Cut anywhere, it is an error, never a panic or a partial dump.
	for _, n := range []int{len(b) / 2, len(b) - 1, len(header) + 3} {
		if _, err := read(b[:n]); err == nil || !strings.Contains(err.Error(), "truncated") && !strings.Contains(err.Error(), "past the end") {
			t.Errorf("cut at %d: %v", n, err)
		}
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "shorter than its header"},
		{"foreign", []byte("\x1f\x8b\x08\x00 this is a gzipped pprof profile, not a dump"), "not a Go heap dump"},
		{"unknown-version", (&enc{}).params("go1.99.1").int(tagEOF).Bytes(), "written by go1.99.1: its format not known"},
		{"unknown-tag", (&enc{}).params("go1.26.1").int(99).Bytes(), "unknown record tag 99"},
		{"no-params", append([]byte(header), tagObject), "before the parameters"},
		{"huge-length", (&enc{}).params("go1.26.1").int(tagObject, 0x2000, 1<<60).Bytes(), "runs past the end"},
		{"bad-field", (&enc{}).params("go1.26.1").int(tagObject, 0x2000).str(word(0)).int(fieldPtr, 4, fieldEol).Bytes(), "past the end of a 8-byte record"},
		{"frame-first", (&enc{}).params("go1.26.1").int(tagStackFrame).Bytes(), "before any goroutine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("%T, want a *FormatError", err)
			}
			if tc.name == "unknown-version" && !errors.Is(err, ErrUnknownVersion) && !strings.Contains(err.Error(), ErrUnknownVersion.Error()) {
				t.Errorf("not ErrUnknownVersion: %v", err)
			}
		})
	}
}

func TestKnownVersion(t *testing.T) {
	for v, want := range map[string]bool{"go1.26": true, "go1.26.8": true, "go1.27.3": true, "go1.27rc1": true, "go1.260": false, "go1.28.0": false, "devel go1.28-abc": false} {
		if KnownVersion(v) != want {
			t.Errorf("KnownVersion(%q) = %v", v, !want)
		}
	}
	if !KnownVersion(runtime.Version()) {
		t.Errorf("the toolchain in use, %s, writes a format this package does not know: check runtime/heapdump.go and add it", runtime.Version())
	}
}

// FuzzRead: whatever the input, Read returns a dump or an error, within
// the input's size.
func FuzzRead(f *testing.F) {
	f.Add(synthetic())
	f.Add((&enc{}).params("go1.26.1").int(tagEOF).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := read(b)
		if err != nil {
			return
		}
		if d == nil {
			t.Fatal("no dump and no error")
		}
		// Every record costs input: nothing read is more than the input
		// could hold, and each object is found at its own address.
		if len(d.Objects)+len(d.Samples)+len(d.Frames)+len(d.Buckets) > len(b) {
			t.Fatalf("%d records from %d bytes", len(d.Objects)+len(d.Samples)+len(d.Frames)+len(d.Buckets), len(b))
		}
		// What Find returns holds the address (a damaged dump's objects
		// may overlap or lie outside its arenas: then -1 is right too).
		for _, o := range d.Objects {
			for _, a := range []uint64{o.Addr, o.Addr + o.Size/2} {
				if j := d.Find(a); j >= 0 && (a < d.Objects[j].Addr || a >= d.Objects[j].Addr+d.Objects[j].Size) {
					t.Fatalf("Find(%#x) = object %d at %#x+%d", a, j, d.Objects[j].Addr, d.Objects[j].Size)
				}
			}
		}
	})
}
