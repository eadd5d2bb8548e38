package retain

import (
	"cmp"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/leakslope/leakslope/internal/heapdump"
	"github.com/leakslope/leakslope/internal/stack"
)

// process names a dump of this very process: globals from its binary's
// symbol table, functions from its pcs, buckets by the same attribution
// as the heap symbols (matched to runtime.MemProfile's records, whose pcs
// the dump does not carry).
type process struct {
	syms  *symtab
	sites map[string]site // bucket fingerprint → site
	pcs   map[uintptr]stack.Frame
}

type site struct {
	name string
	own  bool
}

// newProcess reads the memory profile's records: each bucket's site is
// the heap probe's, computed from the record's pcs.
func newProcess(records []runtime.MemProfileRecord) *process {
	p := &process{syms: loadSymtab(), sites: make(map[string]site, len(records)), pcs: map[uintptr]stack.Frame{}}
	for i := range records {
		r := &records[i]
		pcs := r.Stack()
		frames := stack.Frames(pcs)
		fr, class := stack.Attribute(frames)
		key := p.recordKey(uint64(r.AllocBytes/max(r.AllocObjects, 1)), pcs)
		if _, ok := p.sites[key]; !ok {
			p.sites[key] = site{fr.Site(), class == stack.Own}
		}
	}
	return p
}

// maxRecordStack is runtime.MemProfileRecord's stack depth: a bucket's
// deeper stack is matched on its first frames.
const maxRecordStack = len(runtime.MemProfileRecord{}.Stack0)

// recordKey fingerprints a record's bucket as the dump shows it: its
// object size and the file:line of each pc (the dump names the outermost
// function of inlined calls, so functions differ; file:line are the
// innermost's in both). The dump looks up the first pc as it is and the
// others less one, as return addresses; Go 1.27's stacks start at the
// allocating user frame, Go 1.26's in the runtime's malloc, so the first
// counts too.
func (p *process) recordKey(size uint64, pcs []uintptr) string {
	var b strings.Builder
	b.WriteString(strconv.FormatUint(size, 10))
	fmt.Fprintf(&b, "/%d", len(pcs))
	for i, pc := range pcs {
		at := pc
		if i == 0 {
			at++ // innermost looks up at-1
		}
		f, ok := p.pcs[at]
		if !ok {
			f = innermost(at)
			p.pcs[at] = f
		}
		fmt.Fprintf(&b, "|%s:%d", f.File, f.Line)
	}
	return b.String()
}

func bucketKey(b *heapdump.Bucket) string {
	var s strings.Builder
	s.WriteString(strconv.FormatUint(b.Size, 10))
	stk := b.Stack[:min(len(b.Stack), maxRecordStack)]
	fmt.Fprintf(&s, "/%d", len(stk))
	for _, l := range stk {
		fmt.Fprintf(&s, "|%s:%d", l.File, l.Line)
	}
	return s.String()
}

// innermost resolves a return address to its innermost inlined frame.
func innermost(pc uintptr) stack.Frame {
	fr, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	return stack.Frame{Func: fr.Function, File: fr.File, Line: fr.Line}
}

func (p *process) Bucket(b *heapdump.Bucket) (name, what string, own bool) {
	what = whatOf(b.Stack)
	if s, ok := p.sites[bucketKey(b)]; ok {
		return s.name, what, s.own
	}
	// No record matches (freed since, or a bucket the profile did not
	// list): attribute the dump's own frames.
	frames := make([]stack.Frame, len(b.Stack))
	for i, l := range b.Stack {
		frames[i] = stack.Frame{Func: l.Func, File: l.File, Line: l.Line}
	}
	fr, class := stack.Attribute(frames)
	return fr.Site(), what, class == stack.Own
}

// whatOf names what an allocation made from the runtime functions that
// made it.
func whatOf(stk []heapdump.Location) string {
	for _, l := range stk {
		fn := l.Func
		switch {
		case strings.HasPrefix(fn, "internal/runtime/maps."), strings.HasPrefix(fn, "runtime.mapassign"),
			strings.HasPrefix(fn, "runtime.makemap"), strings.HasPrefix(fn, "runtime.growWork"):
			return "map table"
		case fn == "runtime.growslice", fn == "runtime.makeslice", fn == "runtime.makeslicecopy",
			fn == "runtime.rawbyteslice", fn == "runtime.rawruneslice", fn == "runtime.stringtoslicebyte",
			fn == "runtime.stringtoslicerune":
			return "slice"
		case fn == "runtime.rawstring", fn == "runtime.rawstringtmp", fn == "runtime.slicebytetostring",
			strings.HasPrefix(fn, "runtime.concatstring"), fn == "runtime.intstring":
			return "string"
		case fn == "runtime.makechan":
			return "chan"
		case fn == "time.newTimer":
			return "timer"
		case fn == "runtime.malg", fn == "runtime.newproc1":
			return "goroutine"
		}
		if pkg := stack.Package(fn); pkg != "runtime" && !strings.HasPrefix(pkg, "internal/") {
			break
		}
	}
	return "object"
}

func (p *process) Global(addr uint64) (name string, rt, ok bool) {
	name, ok = p.syms.lookup(addr)
	if !ok {
		return "", false, false
	}
	pkg := stack.Package(name)
	return name, pkg == "runtime" || strings.HasPrefix(pkg, "internal/") || strings.HasPrefix(pkg, "runtime/"), true
}

func (p *process) NextGlobal(addr uint64) uint64 {
	i, found := slices.BinarySearch(p.syms.addrs, addr)
	if found {
		i++
	}
	if i < len(p.syms.addrs) {
		return p.syms.addrs[i]
	}
	return 0
}

func (p *process) Func(pc uint64, ret bool) (fn, fileLine string, own bool) {
	if pc == 0 {
		return "unknown function", "?", false
	}
	if !ret {
		pc++ // CallersFrames looks up pc-1, as for a return address
	}
	f := innermost(uintptr(pc))
	if f.Func == "" {
		return fmt.Sprintf("function at %#x", pc), "?", false
	}
	pkg := stack.Package(f.Func)
	return stack.ShortName(f.Func), f.FileLine(), pkg == stack.Module+"/runner" || pkg == stack.Module+"/leaktest"
}

// symtab is the running binary's data and BSS symbols, by address, moved
// by where the process actually loaded them (a position-independent
// binary), as measured on anchor.
type symtab struct {
	addrs []uint64
	sizes []uint64
	names []string
	err   error // why there are none
}

// anchor is a variable whose address and symbol locate the binary's
// symbols in the running process.
var anchor [2]uint64

const anchorName = "github.com/leakslope/leakslope/internal/retain.anchor"

var loadSymtab = sync.OnceValue(func() *symtab {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" && runtime.GOOS != "netbsd" && runtime.GOOS != "openbsd" {
		return &symtab{err: fmt.Errorf("package variables are named only from an ELF binary's symbol table, and this is %s", runtime.GOOS)}
	}
	exe, err := os.Executable()
	if err != nil {
		return &symtab{err: err}
	}
	t, stripped := readSymtab(exe)
	if !stripped {
		return t
	}
	// go test links its binaries without a symbol table (-s -w) unless a
	// profile is asked for. Linking the same test again with one gives
	// the same layout: its symbols name this process's variables, once
	// every loaded section is checked to be where it is here.
	if t2, err := relinkedSymtab(exe); err == nil {
		return t2
	} else {
		t.err = fmt.Errorf("%v; linking it again with a symbol table failed: %v (go test -ldflags=-s=false keeps it)", t.err, err)
	}
	return t
})

// readSymtab reads an ELF binary's data and BSS symbols; stripped: it has
// no symbol table.
func readSymtab(exe string) (t *symtab, stripped bool) {
	t = &symtab{}
	f, err := elf.Open(exe)
	if err != nil {
		t.err = err
		return t, false
	}
	defer f.Close()
	syms, err := f.Symbols()
	if err != nil {
		if errors.Is(err, elf.ErrNoSymbols) {
			t.err = fmt.Errorf("%s has no symbol table (go test strips it)", exe)
			return t, true
		}
		t.err = fmt.Errorf("%s: %v", exe, err)
		return t, false
	}
	var slide uint64
	found := false
	type sym struct {
		addr, size uint64
		name       string
	}
	var all []sym
	for _, s := range syms {
		if s.Name == anchorName {
			slide, found = uint64(uintptr(unsafe.Pointer(&anchor)))-s.Value, true
		}
		if elf.ST_TYPE(s.Info) != elf.STT_OBJECT || s.Value == 0 {
			continue
		}
		all = append(all, sym{s.Value, s.Size, s.Name})
	}
	if !found {
		t.err = fmt.Errorf("%s: no symbol %s", exe, anchorName)
		return t, false
	}
	slices.SortFunc(all, func(a, b sym) int { return cmp.Compare(a.addr, b.addr) })
	for _, s := range all {
		t.addrs = append(t.addrs, s.addr+slide)
		t.sizes = append(t.sizes, s.size)
		t.names = append(t.names, s.name)
	}
	return t, false
}

// relinkedSymtab builds this test binary again, with the flags its build
// info records and a symbol table, and reads its symbols if its loaded
// sections match the running binary's exactly.
func relinkedSymtab(exe string) (*symtab, error) {
	bi, ok := debug.ReadBuildInfo()
	if !ok || !strings.HasSuffix(bi.Path, ".test") {
		return nil, errors.New("not a test binary")
	}
	// A source edited since the test was built would link differently,
	// perhaps with same-sized variables swapped: refuse rather than
	// misname.
	if err := sourcesOlderThan(exe); err != nil {
		return nil, err
	}
	args := []string{"test", "-c", "-o"}
	dir, err := os.MkdirTemp("", "leakslope-symbols-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "symbols.test")
	args = append(args, out)
	env := os.Environ()
	// go test -c keeps the symbol table; the run's -s -w are not in its
	// build info, so the two record the same settings, as their layout
	// needs (an -ldflags=-s=false would be recorded, and move it).
	for _, s := range bi.Settings {
		switch s.Key {
		case "-race", "-msan", "-asan", "-trimpath":
			if s.Value == "true" {
				args = append(args, s.Key)
			}
		case "-tags", "-gcflags", "-asmflags", "-buildmode", "-compiler", "-pgo":
			args = append(args, s.Key+"="+s.Value)
		case "-ldflags":
			args = append(args, "-ldflags="+s.Value)
		case "CGO_ENABLED", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS", "GOARCH", "GOOS", "GOEXPERIMENT":
			env = append(env, s.Key+"="+s.Value)
		default:
			if strings.HasPrefix(s.Key, "GO") && strings.ToUpper(s.Key) == s.Key {
				env = append(env, s.Key+"="+s.Value) // GOAMD64 and the like
			}
		}
	}
	// Coverage is not in the build info; the test flags say it is on
	// (the package's own coverage, go test -cover's default; a -coverpkg
	// differs, and the layout check below refuses it).
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.gocoverdir") || strings.HasPrefix(a, "-test.coverprofile") {
			mode := "set"
			if slices.Contains(args, "-race") {
				mode = "atomic"
			}
			args = append(args, "-cover", "-covermode="+mode)
			break
		}
	}
	args = append(args, ".")
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		if goCmd, err = exec.LookPath("go"); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, clip(b))
	}
	if err := sameLayout(exe, out); err != nil {
		return nil, err
	}
	t, _ := readSymtab(out)
	return t, t.err
}

// sourcesOlderThan checks that no Go file of the module in the working
// directory (go test runs a test in its package's directory) changed
// after exe was built.
func sourcesOlderThan(exe string) error {
	st, err := os.Stat(exe)
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(root)
		if up == root {
			root = wd // no module: the package alone
			break
		}
		root = up
	}
	const maxFiles = 50000
	n := 0
	errNewer := errors.New("newer")
	var newer string
	err = filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if e.IsDir() {
			if name := e.Name(); path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		if n++; n > maxFiles {
			return filepath.SkipAll
		}
		if info, err := e.Info(); err == nil && info.ModTime().After(st.ModTime()) {
			newer = path
			return errNewer
		}
		return nil
	})
	if err == errNewer {
		return fmt.Errorf("%s changed after the test was built", newer)
	}
	return nil
}

func clip(b []byte) string {
	const n = 500
	if len(b) > n {
		b = b[:n]
	}
	return strings.TrimSpace(string(b))
}

// sameLayout checks that two binaries load every section (code, read-only
// data, variables) at the same address with the same size, but the build
// info and the build ids, which name the binaries: a source changed since
// the test was built shows here, and the names are not used.
func sameLayout(a, b string) error {
	sections := func(path string) (map[string][2]uint64, error) {
		f, err := elf.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		m := map[string][2]uint64{}
		for _, s := range f.Sections {
			if s.Flags&elf.SHF_ALLOC != 0 && s.Name != ".go.buildinfo" && !strings.HasPrefix(s.Name, ".note.") {
				m[s.Name] = [2]uint64{s.Addr, s.Size}
			}
		}
		return m, nil
	}
	sa, err := sections(a)
	if err != nil {
		return err
	}
	sb, err := sections(b)
	if err != nil {
		return err
	}
	if len(sa) != len(sb) {
		return fmt.Errorf("the binary linked again has %d loaded sections, this one %d", len(sb), len(sa))
	}
	for name, x := range sa {
		if y, ok := sb[name]; !ok || x != y {
			return fmt.Errorf("the binary linked again has section %s at %#x+%d, this one at %#x+%d", name, y[0], y[1], x[0], x[1])
		}
	}
	return nil
}

func (t *symtab) lookup(addr uint64) (string, bool) {
	i, found := slices.BinarySearch(t.addrs, addr)
	if !found {
		i--
	}
	if i < 0 || addr >= t.addrs[i]+max(t.sizes[i], 1) {
		return "", false
	}
	return t.names[i], true
}
