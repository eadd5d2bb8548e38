package leaktest

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"

	"github.com/leakslope/leakslope/internal/retain"
	"github.com/leakslope/leakslope/internal/stack"
)

// heapProbe reads in-use heap by allocation site from the runtime's own
// memory profile, exactly: MemProfileRate is 1 for the run, so every
// allocation is recorded, and each reading follows forced GCs with no op
// in flight, so what is in use is what is live.
type heapProbe struct {
	records  []runtime.MemProfileRecord
	sites    map[string]*siteAgg
	prevRate int
	metric   []metrics.Sample
	ownBytes float64 // in use by leakslope itself in the last reading
}

type stackRef struct {
	class  stack.Class
	frame  stack.Frame
	site   string // "func file.go:LINE"
	frames []stack.Frame
}

type siteAgg struct {
	// The site's symbols, built once: every allocation leakslope makes
	// during a snapshot is itself profiled (a stack walk each), so the
	// snapshot allocates as little as it can.
	bytesSym, objectsSym Symbol
	bytes, objects       float64
	top                  *stackRef // the site's largest stack in the last reading
	topBytes             float64
}

// stacks resolves each distinct stack once per process: a PC array means
// the same frames for the life of the program, and a suite with many
// checks would otherwise resolve every live stack again in each run.
var stacks = struct {
	sync.Mutex
	m map[[32]uintptr]*stackRef
}{m: make(map[[32]uintptr]*stackRef)}

func newHeapProbe() *heapProbe {
	return &heapProbe{
		sites:  make(map[string]*siteAgg),
		metric: []metrics.Sample{{Name: "/gc/heap/live:bytes"}},
	}
}

// Names of the in-process probes, as Report.Probes lists them.
const (
	nameHeapProbe      = "heap"
	nameGoroutineProbe = "goroutines"
)

func (*heapProbe) Name() string { return nameHeapProbe }

// profileRate is process state shared by every run; runs are serialized
// (see Run), but Main may have set it before any of them.
var profileRate sync.Mutex

func (p *heapProbe) Start(context.Context) error {
	profileRate.Lock()
	defer profileRate.Unlock()
	p.prevRate = runtime.MemProfileRate
	// Every allocation from now on is recorded exactly. Allocations from
	// before were sampled; those still live are constant, so they do not
	// move a trend. The runtime notices the new rate at the next
	// allocation on each P (mcache.memProfRate), so no sample is missed.
	runtime.MemProfileRate = 1
	return nil
}

func (p *heapProbe) Stop() {
	profileRate.Lock()
	defer profileRate.Unlock()
	if !mainSetRate {
		runtime.MemProfileRate = p.prevRate
	}
}

// Take forces two GCs and reads the profile. The runtime publishes the
// profile at the end of a cycle's sweep and counts an allocation only
// once a cycle after it has been swept; an op that allocated large
// transient objects may also have a cycle of its own in progress. The
// first GC finishes whatever was under way, the second leaves the profile
// as of a mark with nothing in flight, so the reading is what is live now.
func (p *heapProbe) Take(context.Context) ([]Sample, error) {
	runtime.GC()
	runtime.GC()
	var records []runtime.MemProfileRecord
	records, p.records = stack.MemProfile(p.records)
	for _, a := range p.sites {
		a.bytes, a.objects, a.top, a.topBytes = 0, 0, nil, 0
	}
	p.ownBytes = 0
	stacks.Lock()
	defer stacks.Unlock()
	for i := range records {
		r := &records[i]
		ref := stacks.m[r.Stack0]
		if ref == nil {
			ref = resolve(r)
		}
		inBytes := float64(r.InUseBytes())
		if ref.class == stack.Own {
			p.ownBytes += inBytes
		}
		if ref.class == stack.Own || ref.class == stack.Runtime {
			continue
		}
		a := p.sites[ref.site]
		if a == nil {
			a = &siteAgg{bytesSym: Sym(KindHeapBytes, ref.site), objectsSym: Sym(KindHeapObjects, ref.site)}
			p.sites[ref.site] = a
		}
		// Records of one stack come split by object size; a site sums
		// all its stacks and sizes.
		a.bytes += inBytes
		a.objects += float64(r.InUseObjects())
		if inBytes > a.topBytes || a.top == nil {
			a.top, a.topBytes = ref, inBytes
		}
	}
	out := make([]Sample, 0, 2*len(p.sites)+1)
	for _, a := range p.sites {
		if a.bytes == 0 && a.objects == 0 {
			continue
		}
		out = append(out, Sample{a.bytesSym, a.bytes}, Sample{a.objectsSym, a.objects})
	}
	metrics.Read(p.metric)
	if p.metric[0].Value.Kind() == metrics.KindUint64 {
		live := float64(p.metric[0].Value.Uint64()) - p.ownBytes
		out = append(out, Sample{SymRuntimeHeapBytes, max(live, 0)})
	}
	return out, nil
}

func resolve(r *runtime.MemProfileRecord) *stackRef {
	frames := stack.Frames(r.Stack())
	fr, class := stack.Attribute(frames)
	ref := &stackRef{class: class, frame: fr, frames: frames, site: fr.Site()}
	stacks.m[r.Stack0] = ref
	return ref
}

// Describe gives the charged function, file:line and the stack of the
// site's largest stack in the last reading.
func (p *heapProbe) Describe(sym Symbol) (Origin, bool) {
	if !isHeap(sym.Kind()) {
		return Origin{}, false
	}
	a := p.sites[sym.Site()]
	if a == nil || a.top == nil {
		return Origin{}, false
	}
	ref := a.top
	return Origin{Func: stack.ShortName(ref.frame.Func), Site: ref.frame.FileLine(), Stack: stack.Render(ref.frames, ref.frame),
		UserCode: ref.class == stack.User}, true
}

// HeldBy reads a heap dump of the process and says what holds the objects
// of each site (the sites are the heap symbols', named alike).
func (p *heapProbe) HeldBy(_ context.Context, sites []string) (map[string]*HeldBy, error) {
	res, err := retain.CaptureAtRunEnd(sites)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*HeldBy, len(res))
	for site, r := range res {
		out[site] = heldByFrom(r)
	}
	return out, nil
}
