// Package heapdump reads the heap dumps runtime/debug.WriteHeapDump
// writes ("go1.7 heap dump", https://golang.org/s/go15heapdump; the
// toolchain's runtime/heapdump.go is the reference), keeping what a
// retention analysis needs and no more: each object's address, size and
// the heap pointers in it; the roots (data and BSS pointer slots,
// goroutine frames, finalizers); the memory profile's buckets and which
// object each profiled allocation is.
//
// The format is undocumented and changes with Go releases: Read refuses a
// dump from a runtime whose format it does not know rather than guess.
package heapdump

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// header opens every dump since Go 1.7.
const header = "go1.7 heap dump\n"

// Record tags and field kinds, as runtime/heapdump.go numbers them.
const (
	tagEOF             = 0
	tagObject          = 1
	tagOtherRoot       = 2
	tagType            = 3
	tagGoroutine       = 4
	tagStackFrame      = 5
	tagParams          = 6
	tagFinalizer       = 7
	tagItab            = 8
	tagOSThread        = 9
	tagMemStats        = 10
	tagQueuedFinalizer = 11
	tagData            = 12
	tagBSS             = 13
	tagDefer           = 14
	tagPanic           = 15
	tagMemProf         = 16
	tagAllocSample     = 17

	fieldEol   = 0
	fieldPtr   = 1
	fieldIface = 2
	fieldEface = 3
)

// versions are the Go releases whose runtime writes the format this
// package reads; the tests run it against the toolchain in use.
var versions = []string{"go1.26", "go1.27"}

// Dump is a heap dump reduced to the object graph and its labels.
type Dump struct {
	Params Params
	// Objects, sorted by address.
	Objects []Object
	// ptrs holds the heap pointers of every object; an Object's
	// [ptrLo, ptrHi) indexes it.
	ptrs       []uint64
	Goroutines []Goroutine
	Frames     []Frame
	Defers     []Defer
	Panics     []Panic
	Data, BSS  Segment
	Finalizers []Finalizer
	OtherRoots []OtherRoot
	Buckets    []Bucket
	Samples    []Sample
	MemStats   MemStats

	pages []int32 // see index
}

// Params are the dump's description of the process that wrote it.
type Params struct {
	BigEndian            bool
	PtrSize              int
	ArenaStart, ArenaEnd uint64
	GOARCH               string
	Version              string // runtime.Version() of the writer
	NCPU                 int
}

// Object is one heap object: its span slot, so Size is the size class's.
type Object struct {
	Addr, Size   uint64
	ptrLo, ptrHi uint32
}

// Pointers returns the values of the object's pointer fields that point
// into the heap's arenas.
func (d *Dump) Pointers(o *Object) []uint64 { return d.ptrs[o.ptrLo:o.ptrHi] }

// Goroutine is a goroutine's record; its frames follow it in Frames.
type Goroutine struct {
	Addr       uint64
	ID         uint64
	GoPC       uint64 // the pc of the go statement that created it
	Status     uint64
	System     bool
	WaitReason string
	Ctxt       uint64 // a closure context pointer, when parked with one
}

// Frame is one stack frame of a goroutine.
type Frame struct {
	Goroutine int // index into Dump.Goroutines
	Depth     int // 0 is the innermost
	EntryPC   uint64
	PC        uint64
	Func      string
	Ptrs      []uint64 // heap pointers in the frame's live pointer slots
}

// Defer is a pending defer record of a goroutine.
type Defer struct {
	Goroutine int
	Addr, Fn  uint64 // the record and its funcval
	FnPC      uint64
}

// Panic is an active panic of a goroutine; Data is its argument's data.
type Panic struct {
	Goroutine  int
	Addr, Data uint64
}

// Segment is the data or BSS segment and its non-nil pointer slots.
type Segment struct {
	Addr, Size uint64
	Slots      []Slot
}

// Slot is a pointer slot at Addr holding Value.
type Slot struct{ Addr, Value uint64 }

// Finalizer is a finalizer set on Obj (queued: due to run).
type Finalizer struct {
	Obj, Fn, FnPC uint64
	Queued        bool
}

// OtherRoot is a root the runtime describes in words.
type OtherRoot struct {
	Desc string
	Ptr  uint64
}

// Bucket is a memory profile bucket: one allocation stack and size.
type Bucket struct {
	Addr   uint64
	Size   uint64
	Stack  []Location // innermost first
	Allocs uint64
	Frees  uint64
}

// Location is one pc of a bucket's stack as the runtime resolved it: the
// function is the outermost of any inlined at the pc, the file:line the
// innermost's.
type Location struct {
	Func, File string
	Line       int
}

// Sample says the profiled allocation at Addr is Bucket's.
type Sample struct{ Addr, Bucket uint64 }

// MemStats is the part of runtime.MemStats at the dump kept here.
type MemStats struct {
	HeapAlloc, HeapObjects uint64
}

// FormatError is a dump this package cannot read: not a Go heap dump, one
// from a runtime whose format it does not know, or a damaged one.
type FormatError struct {
	Offset int64 // of the record at fault; -1 for the whole file
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Offset < 0 {
		return "heap dump: " + e.Msg
	}
	return fmt.Sprintf("heap dump: offset %d: %s", e.Offset, e.Msg)
}

// ErrUnknownVersion is wrapped by the error for a dump from a Go release
// whose format this package does not know.
var ErrUnknownVersion = errors.New("format not known")

// Read reads a dump of at most size bytes (a length past it is an error,
// so a damaged length never makes Read allocate more than the input).
// objects, when known (runtime.MemStats.HeapObjects), sizes the object
// table once instead of growing it.
func Read(r io.Reader, size int64, objects int) (*Dump, error) {
	d := &Dump{}
	if objects > 0 && int64(objects) < size/8 {
		d.Objects = make([]Object, 0, objects+objects/16)
	}
	// The bounds below reckon with what is left of size: the reader may
	// not give more.
	p := &parser{r: bufio.NewReaderSize(io.LimitReader(r, size), 1<<16), size: size, d: d}
	if err := p.read(); err != nil {
		return nil, err
	}
	slices.SortFunc(d.Objects, func(a, b Object) int {
		switch {
		case a.Addr < b.Addr:
			return -1
		case a.Addr > b.Addr:
			return 1
		}
		return 0
	})
	if len(d.Objects) > 1<<31-1 {
		return nil, &FormatError{Offset: -1, Msg: "more than 2³¹ objects"}
	}
	d.index()
	return d, nil
}

// Find returns the index of the object containing addr, or -1.
func (d *Dump) Find(addr uint64) int {
	objs := d.Objects
	if d.pages != nil {
		if addr < d.Params.ArenaStart || addr >= d.Params.ArenaEnd {
			return -1
		}
		p := (addr - d.Params.ArenaStart) >> pageShift
		lo, hi := int(d.pages[p]), int(d.pages[p+1])+1
		objs = objs[lo:min(hi, len(objs))]
		if i := find(objs, addr); i >= 0 {
			return lo + i
		}
		return -1
	}
	return find(objs, addr)
}

func find(objs []Object, addr uint64) int {
	i, _ := slices.BinarySearchFunc(objs, addr, func(o Object, a uint64) int {
		switch {
		case o.Addr+o.Size <= a:
			return -1
		case o.Addr > a:
			return 1
		}
		return 0
	})
	if i < len(objs) && objs[i].Addr <= addr && addr < objs[i].Addr+objs[i].Size {
		return i
	}
	return -1
}

// pageShift is the runtime's page size, the unit of the page index.
const pageShift = 13

// maxPages bounds the page index (4 bytes a page of the arenas' range).
const maxPages = 1 << 22

// index builds the page index: pages[p] is the first object that ends
// after page p starts, so the object holding an address of page p is
// among pages[p]..pages[p+1] — a search of a page's objects, not all.
func (d *Dump) index() {
	n := (d.Params.ArenaEnd - d.Params.ArenaStart) >> pageShift
	if d.Params.ArenaEnd <= d.Params.ArenaStart || n+2 > maxPages {
		return
	}
	d.pages = make([]int32, n+2)
	i := 0
	for p := range d.pages {
		start := d.Params.ArenaStart + uint64(p)<<pageShift
		for i < len(d.Objects) && d.Objects[i].Addr+d.Objects[i].Size <= start {
			i++
		}
		d.pages[p] = int32(i)
	}
}

type parser struct {
	r      *bufio.Reader
	off    int64
	size   int64
	d      *Dump
	buf    []byte
	params bool
	at     int64 // offset of the record being read
	names  map[string]string
	// allSlots: keep pointers out of the heap too (data and BSS).
	allSlots bool
}

func (p *parser) fail(format string, args ...any) error {
	return &FormatError{Offset: p.at, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) byte() (byte, error) {
	b, err := p.r.ReadByte()
	if err != nil {
		if err == io.EOF {
			return 0, p.fail("truncated (no end-of-dump record)")
		}
		return 0, err
	}
	p.off++
	return b, nil
}

func (p *parser) uvarint() (uint64, error) {
	var x uint64
	var s uint
	for i := 0; ; i++ {
		b, err := p.byte()
		if err != nil {
			return 0, err
		}
		if i == binary.MaxVarintLen64-1 && b > 1 {
			return 0, p.fail("varint overflows 64 bits")
		}
		if b < 0x80 {
			return x | uint64(b)<<s, nil
		}
		x |= uint64(b&0x7f) << s
		s += 7
		if i == binary.MaxVarintLen64-1 {
			return 0, p.fail("varint overflows 64 bits")
		}
	}
}

func (p *parser) uvarints(xs ...*uint64) error {
	for _, x := range xs {
		v, err := p.uvarint()
		if err != nil {
			return err
		}
		*x = v
	}
	return nil
}

// bytes reads a length-prefixed run into the reused buffer.
func (p *parser) bytes() ([]byte, error) {
	n, err := p.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(p.size-p.off) {
		return nil, p.fail("length %d runs past the end of the %d-byte dump", n, p.size)
	}
	if uint64(cap(p.buf)) < n {
		p.buf = make([]byte, n)
	}
	b := p.buf[:n]
	if _, err := io.ReadFull(p.r, b); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, p.fail("truncated in a %d-byte run", n)
		}
		return nil, err
	}
	p.off += int64(n)
	return b, nil
}

// maxString bounds a string of the dump: a function, a file, a wait
// reason, an architecture.
const maxString = 1 << 16

func (p *parser) shortBytes() ([]byte, error) {
	b, err := p.bytes()
	if err == nil && len(b) > maxString {
		err = p.fail("a %d-byte string", len(b))
	}
	return b, err
}

func (p *parser) string() (string, error) {
	b, err := p.shortBytes()
	return string(b), err
}

// name reads a function or file name, kept once however many stacks
// repeat it.
func (p *parser) name() (string, error) {
	b, err := p.shortBytes()
	if err != nil {
		return "", err
	}
	if s, ok := p.names[string(b)]; ok {
		return s, nil
	}
	if p.names == nil {
		p.names = make(map[string]string)
	}
	s := string(b)
	p.names[s] = s
	return s, nil
}

func (p *parser) word(b []byte, off uint64) (uint64, bool) {
	n := uint64(p.d.Params.PtrSize)
	if off+n > uint64(len(b)) || off+n < off {
		return 0, false
	}
	w := b[off : off+n]
	var order binary.ByteOrder = binary.LittleEndian
	if p.d.Params.BigEndian {
		order = binary.BigEndian
	}
	if n == 4 {
		return uint64(order.Uint32(w)), true
	}
	return order.Uint64(w), true
}

func (p *parser) inHeap(v uint64) bool {
	return v != 0 && v >= p.d.Params.ArenaStart && v < p.d.Params.ArenaEnd
}

// fields reads a field list, appending the heap pointers found in b (the
// contents the offsets are into; base is its address, for slots) to out.
func (p *parser) fields(b []byte, add func(off, v uint64)) error {
	for {
		kind, err := p.uvarint()
		if err != nil {
			return err
		}
		if kind == fieldEol {
			return nil
		}
		off, err := p.uvarint()
		if err != nil {
			return err
		}
		switch kind {
		case fieldPtr:
		case fieldIface, fieldEface:
			// A type word, then the data word.
			off += uint64(p.d.Params.PtrSize)
		default:
			return p.fail("unknown field kind %d", kind)
		}
		v, ok := p.word(b, off)
		if !ok {
			return p.fail("pointer field at %d past the end of a %d-byte record", off, len(b))
		}
		if p.inHeap(v) || (p.allSlots && v != 0) {
			add(off, v)
		}
	}
}

func (p *parser) read() error {
	h := make([]byte, len(header))
	if _, err := io.ReadFull(p.r, h); err != nil || string(h) != header {
		if len(h) > 0 && err == nil {
			return &FormatError{Offset: -1, Msg: fmt.Sprintf("not a Go heap dump (starts %q, want %q)", h, header)}
		}
		return &FormatError{Offset: -1, Msg: "not a Go heap dump (shorter than its header)"}
	}
	p.off = int64(len(header))
	for {
		p.at = p.off
		tag, err := p.uvarint()
		if err != nil {
			return err
		}
		if tag != tagParams && !p.params && tag != tagEOF {
			return p.fail("record %d before the parameters", tag)
		}
		switch tag {
		case tagEOF:
			if !p.params {
				return p.fail("no parameters record")
			}
			return nil
		case tagParams:
			err = p.readParams()
		case tagObject:
			err = p.readObject()
		case tagOtherRoot:
			var r OtherRoot
			if r.Desc, err = p.string(); err == nil {
				err = p.uvarints(&r.Ptr)
			}
			p.d.OtherRoots = append(p.d.OtherRoots, r)
		case tagType:
			var addr, size uint64
			if err = p.uvarints(&addr, &size); err == nil {
				if _, err = p.bytes(); err == nil {
					_, err = p.uvarint() // has pointers
				}
			}
		case tagItab:
			var a, b uint64
			err = p.uvarints(&a, &b)
		case tagGoroutine:
			err = p.readGoroutine()
		case tagStackFrame:
			err = p.readFrame()
		case tagFinalizer, tagQueuedFinalizer:
			var f Finalizer
			var fint, ot uint64
			err = p.uvarints(&f.Obj, &f.Fn, &f.FnPC, &fint, &ot)
			f.Queued = tag == tagQueuedFinalizer
			p.d.Finalizers = append(p.d.Finalizers, f)
		case tagOSThread:
			var a, b, c uint64
			err = p.uvarints(&a, &b, &c)
		case tagMemStats:
			err = p.readMemStats()
		case tagData, tagBSS:
			err = p.readSegment(tag)
		case tagDefer:
			var d Defer
			var gp, sp, pc, link uint64
			if err = p.uvarints(&d.Addr, &gp, &sp, &pc, &d.Fn, &d.FnPC, &link); err == nil {
				d.Goroutine = p.goroutine(gp)
			}
			p.d.Defers = append(p.d.Defers, d)
		case tagPanic:
			var pn Panic
			var gp, typ, old, link uint64
			if err = p.uvarints(&pn.Addr, &gp, &typ, &pn.Data, &old, &link); err == nil {
				pn.Goroutine = p.goroutine(gp)
			}
			p.d.Panics = append(p.d.Panics, pn)
		case tagMemProf:
			err = p.readBucket()
		case tagAllocSample:
			var s Sample
			err = p.uvarints(&s.Addr, &s.Bucket)
			p.d.Samples = append(p.d.Samples, s)
		default:
			return p.fail("unknown record tag %d (a heap dump format this leakslope does not know)", tag)
		}
		if err != nil {
			return err
		}
	}
}

func (p *parser) readParams() error {
	if p.params {
		return p.fail("a second parameters record")
	}
	var big, ptr, ncpu uint64
	d := &p.d.Params
	if err := p.uvarints(&big, &ptr, &d.ArenaStart, &d.ArenaEnd); err != nil {
		return err
	}
	var err error
	if d.GOARCH, err = p.string(); err != nil {
		return err
	}
	if d.Version, err = p.string(); err != nil {
		return err
	}
	if err := p.uvarints(&ncpu); err != nil {
		return err
	}
	d.BigEndian, d.PtrSize, d.NCPU = big != 0, int(ptr), int(min(ncpu, 1<<20))
	if ptr != 4 && ptr != 8 {
		return p.fail("pointer size %d", ptr)
	}
	if !KnownVersion(d.Version) {
		return &FormatError{Offset: p.at, Msg: fmt.Sprintf("written by %s: its %v (this leakslope reads the dumps of %s)", d.Version, ErrUnknownVersion, strings.Join(versions, ", "))}
	}
	p.params = true
	return nil
}

// KnownVersion reports whether a runtime.Version() is of a release whose
// dump format this package reads.
func KnownVersion(v string) bool {
	for _, k := range versions {
		if v == k || strings.HasPrefix(v, k+".") || strings.HasPrefix(v, k+"rc") {
			return true
		}
	}
	return false
}

func (p *parser) readObject() error {
	var addr uint64
	if err := p.uvarints(&addr); err != nil {
		return err
	}
	b, err := p.bytes()
	if err != nil {
		return err
	}
	lo := len(p.d.ptrs)
	if err := p.fields(b, func(_, v uint64) { p.d.ptrs = append(p.d.ptrs, v) }); err != nil {
		return err
	}
	if len(p.d.ptrs) > 1<<32-1 {
		return p.fail("more than 2³² heap pointers")
	}
	p.d.Objects = append(p.d.Objects, Object{Addr: addr, Size: uint64(len(b)), ptrLo: uint32(lo), ptrHi: uint32(len(p.d.ptrs))})
	return nil
}

func (p *parser) readGoroutine() error {
	var g Goroutine
	var sp, system, bg, waitsince, m, def, pan uint64
	if err := p.uvarints(&g.Addr, &sp, &g.ID, &g.GoPC, &g.Status, &system, &bg, &waitsince); err != nil {
		return err
	}
	var err error
	if g.WaitReason, err = p.string(); err != nil {
		return err
	}
	if err := p.uvarints(&g.Ctxt, &m, &def, &pan); err != nil {
		return err
	}
	g.System = system != 0
	p.d.Goroutines = append(p.d.Goroutines, g)
	return nil
}

// goroutine finds a goroutine by its address: defers and panics name it.
func (p *parser) goroutine(addr uint64) int {
	for i := len(p.d.Goroutines) - 1; i >= 0; i-- {
		if p.d.Goroutines[i].Addr == addr {
			return i
		}
	}
	return -1
}

func (p *parser) readFrame() error {
	if len(p.d.Goroutines) == 0 {
		return p.fail("a stack frame before any goroutine")
	}
	f := Frame{Goroutine: len(p.d.Goroutines) - 1}
	var sp, depth, childSP, contPC uint64
	if err := p.uvarints(&sp, &depth, &childSP); err != nil {
		return err
	}
	b, err := p.bytes()
	if err != nil {
		return err
	}
	// The contents are needed after the name is read: keep a copy.
	contents := slices.Clone(b)
	if err := p.uvarints(&f.EntryPC, &f.PC, &contPC); err != nil {
		return err
	}
	if f.Func, err = p.name(); err != nil {
		return err
	}
	f.Depth = int(min(depth, 1<<30))
	if err := p.fields(contents, func(_, v uint64) { f.Ptrs = append(f.Ptrs, v) }); err != nil {
		return err
	}
	p.d.Frames = append(p.d.Frames, f)
	return nil
}

func (p *parser) readSegment(tag uint64) error {
	var s Segment
	if err := p.uvarints(&s.Addr); err != nil {
		return err
	}
	b, err := p.bytes()
	if err != nil {
		return err
	}
	s.Size = uint64(len(b))
	// Every slot is kept, not only those into the heap: a static value
	// (a package's &T{...} laid out by the linker) is reached from the
	// variable that points to it, which names it.
	p.allSlots = true
	defer func() { p.allSlots = false }()
	if err := p.fields(b, func(off, v uint64) { s.Slots = append(s.Slots, Slot{Addr: s.Addr + off, Value: v}) }); err != nil {
		return err
	}
	if tag == tagData {
		p.d.Data = s
	} else {
		p.d.BSS = s
	}
	return nil
}

func (p *parser) readMemStats() error {
	var v [24 + 256 + 1]uint64
	for i := range v {
		if err := p.uvarints(&v[i]); err != nil {
			return err
		}
	}
	p.d.MemStats = MemStats{HeapAlloc: v[6], HeapObjects: v[11]}
	return nil
}

func (p *parser) readBucket() error {
	var b Bucket
	var n uint64
	if err := p.uvarints(&b.Addr, &b.Size, &n); err != nil {
		return err
	}
	if n > uint64(p.size-p.off)/3 {
		return p.fail("a %d-frame stack runs past the end of the dump", n)
	}
	b.Stack = make([]Location, 0, n)
	for range n {
		var l Location
		var err error
		if l.Func, err = p.name(); err != nil {
			return err
		}
		if l.File, err = p.name(); err != nil {
			return err
		}
		var line uint64
		if err := p.uvarints(&line); err != nil {
			return err
		}
		l.Line = int(min(line, 1<<31-1))
		b.Stack = append(b.Stack, l)
	}
	if err := p.uvarints(&b.Allocs, &b.Frees); err != nil {
		return err
	}
	p.d.Buckets = append(p.d.Buckets, b)
	return nil
}
