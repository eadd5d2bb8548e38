package leaktest

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/onsi/gomega/gleak/goroutine"

	"github.com/leakslope/leakslope/internal/stack"
)

// goroutineProbe counts live goroutines by creation site (the go
// statement).
//
// Counting runs at every snapshot, possibly over tens of thousands of
// leaked goroutines, so it scans runtime.Stack's text for the "created by"
// lines only, allocation-free; gleak's parser, which builds each
// goroutine's whole backtrace (about 20µs a goroutine), parses the one
// stack a failure message shows. A test holds the two to the same sites.
type goroutineProbe struct {
	buf     []byte
	symbols map[string]Symbol // raw "creator\x00file:line" → symbol, "" for our own
	creator map[Symbol]goroutineSite
	// One gleak parse serves every Describe until the next Take.
	parsed []goroutine.Goroutine
	stale  bool
	// before holds the ids of the goroutines alive at the first Take (the
	// run's op-0 snapshot): ids are never reused, so Blocked leaves them
	// out, whatever they became.
	before map[uint64]struct{}
}

type goroutineSite struct {
	fn, loc string // creator function, file:line of the go statement
}

func newGoroutineProbe() *goroutineProbe {
	return &goroutineProbe{
		buf:     make([]byte, 64<<10),
		symbols: map[string]Symbol{},
		creator: map[Symbol]goroutineSite{},
	}
}

func (*goroutineProbe) Name() string { return nameGoroutineProbe }

// settle waits, a bounded while, for goroutines that are finishing to be
// gone: an op that waits for its goroutine's result returns while that
// goroutine is still on its way out. It retries while the count keeps
// falling, with a growing pause, as goleak retries: about 30ms at most.
func settle(ctx context.Context) {
	prev := runtime.NumGoroutine()
	pause := 50 * time.Microsecond
	for tries := 0; tries < 10; tries++ {
		runtime.Gosched()
		time.Sleep(pause)
		n := runtime.NumGoroutine()
		if n >= prev && tries > 0 || ctx.Err() != nil {
			return
		}
		prev = n
		pause = min(2*pause, 10*time.Millisecond)
	}
}

func (p *goroutineProbe) Take(ctx context.Context) ([]Sample, error) {
	settle(ctx)
	p.parsed, p.stale = nil, true
	var n int
	for {
		n = runtime.Stack(p.buf, true)
		if n < len(p.buf) {
			break
		}
		p.buf = make([]byte, 2*len(p.buf))
	}
	counts := map[Symbol]float64{}
	total := 0.0
	text := p.buf[:n]
	first := true
	record := p.before == nil
	if record {
		p.before = map[uint64]struct{}{}
	}
	for len(text) > 0 {
		var block []byte
		block, text, _ = bytes.Cut(text, []byte("\n\n"))
		if record {
			if id, ok := goroutineID(block); ok {
				p.before[id] = struct{}{}
			}
		}
		if first {
			first = false // runtime.Stack lists the calling goroutine first: ours
			continue
		}
		fn, loc, ok := createdBy(block)
		if !ok {
			total++ // the main goroutine
			continue
		}
		var scratch [512]byte
		key := append(append(append(scratch[:0], fn...), 0), loc...)
		sym, seen := p.symbols[string(key)] // no allocation on a hit
		if !seen {
			sym = p.newSymbol(string(fn), string(loc))
			p.symbols[string(key)] = sym
		}
		if sym == "" {
			continue // the hammer's workers and leakslope's own
		}
		counts[sym]++
		total++
	}
	out := make([]Sample, 0, len(counts)+1)
	for sym, c := range counts {
		out = append(out, Sample{sym, c})
	}
	return append(out, Sample{SymRuntimeGoroutine, total}), nil
}

// goroutineID reads "goroutine N [" at the start of a block.
func goroutineID(block []byte) (uint64, bool) {
	rest, ok := bytes.CutPrefix(block, []byte("goroutine "))
	if !ok {
		return 0, false
	}
	id, _, _ := bytes.Cut(rest, []byte(" "))
	n, err := strconv.ParseUint(string(id), 10, 64)
	return n, err == nil
}

// newSymbol names a creation site, or returns "" for leakslope's own.
func (p *goroutineProbe) newSymbol(fn, loc string) Symbol {
	if stack.IsOwn(stack.Package(fn)) {
		return ""
	}
	sym := Sym(KindGoroutines, stack.ShortName(fn)+" "+baseLocation(loc))
	p.creator[sym] = goroutineSite{fn: fn, loc: loc}
	return sym
}

// createdBy finds "created by FUNC[ in goroutine N]\n\tFILE:LINE +0x…" in
// one goroutine's block of runtime.Stack text.
func createdBy(block []byte) (fn, loc []byte, ok bool) {
	i := bytes.LastIndex(block, []byte("\ncreated by "))
	if i < 0 {
		return nil, nil, false
	}
	rest := block[i+len("\ncreated by "):]
	line, after, _ := bytes.Cut(rest, []byte("\n"))
	if j := bytes.Index(line, []byte(" in goroutine ")); j >= 0 {
		line = line[:j]
	}
	locLine, _, _ := bytes.Cut(after, []byte("\n"))
	locLine = bytes.TrimSpace(locLine)
	if j := bytes.LastIndex(locLine, []byte(" +0x")); j >= 0 {
		locLine = locLine[:j]
	}
	return line, locLine, len(line) > 0
}

func baseLocation(loc string) string {
	if i := strings.LastIndexByte(loc, '/'); i >= 0 {
		return loc[i+1:]
	}
	return loc
}

// Describe gives the creating function, the go statement's file:line, and
// the stack of one live goroutine from that site, parsed by gleak.
func (p *goroutineProbe) Describe(sym Symbol) (Origin, bool) {
	gs, ok := p.creator[sym]
	if !ok {
		return Origin{}, false
	}
	pkg := stack.Package(gs.fn)
	o := Origin{Func: stack.ShortName(gs.fn), Site: baseLocation(gs.loc), UserCode: !stack.IsStd(pkg) && !stack.IsOwn(pkg)}
	if p.stale {
		p.parsed, p.stale = goroutine.Goroutines(), false
	}
	for _, g := range p.parsed {
		if g.CreatorFunction == gs.fn && g.BornAt == gs.loc {
			o.Stack = backtraceFrames(g.Backtrace)
			break
		}
	}
	return o, true
}

// backtraceFrames turns a gleak backtrace ("func(args)\n\tfile:line +0x..")
// into "func\n\tfile:line" entries.
func backtraceFrames(bt string) []string {
	lines := strings.Split(strings.TrimSpace(bt), "\n")
	var out []string
	for i := 0; i+1 < len(lines); i += 2 {
		fn := strings.TrimSpace(lines[i])
		if strings.HasPrefix(fn, "created by ") {
			break // the message names the go statement already
		}
		if j := strings.LastIndexByte(fn, '('); j > 0 {
			fn = fn[:j]
		}
		loc := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndex(loc, " +0x"); j > 0 {
			loc = loc[:j]
		}
		out = append(out, fn+"\n\t"+loc)
	}
	return out
}
