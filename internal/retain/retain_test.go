package retain

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/leakslope/leakslope/internal/golden"
	"github.com/leakslope/leakslope/internal/retain/internal/registry"
)

// Every allocation is profiled, as in a leaktest run: each object of a
// workload below carries its site.
func TestMain(m *testing.M) {
	runtime.MemProfileRate = 1
	os.Exit(m.Run())
}

// siteOf names the site of the line marked "// site:MARK" in this file, as
// the heap symbols do: "retain.FUNC retain_test.go:LINE".
func siteOf(t testing.TB, fn, mark string) string {
	t.Helper()
	return siteIn(t, "retain_test.go", fn, mark)
}

func siteIn(t testing.TB, file, fn, mark string) string {
	t.Helper()
	return "retain." + fn + " " + file + ":" + strconv.Itoa(golden.MarkedLine(t, file, mark))
}

// capture explains one site and checks the basics every answer has.
func capture(t *testing.T, site string, want int64) *Result {
	t.Helper()
	res, err := CaptureAtRunEnd([]string{site})
	if err != nil {
		t.Fatal(err)
	}
	r := res[site]
	if r == nil || len(r.Paths) == 0 {
		t.Fatalf("no paths for %s: %+v", site, r)
	}
	if r.Objects < want {
		t.Errorf("%d objects of %s found, want ≥ %d", r.Objects, site, want)
	}
	for _, n := range r.Notes {
		if strings.Contains(n, "by address") {
			t.Errorf("package variables unnamed: %s", n)
		}
	}
	return r
}

func describe(r *Result) string {
	var b strings.Builder
	for _, p := range r.Paths {
		fmt.Fprintf(&b, "%d objects %d B retained %d: %s [%s] %s\n", p.Objects, p.Bytes, p.RetainedBytes, p.Root, p.RootKind, p.RootSite)
		for _, h := range p.Hops {
			fmt.Fprintf(&b, "    → %s %q ×%d before=%v\n", h.What, h.Site, h.Repeat, h.BeforeProfiling)
		}
	}
	return b.String()
}

// last is the path's last hop.
func last(p Path) Hop { return p.Hops[len(p.Hops)-1] }

type session struct {
	id  int
	buf [100]byte
}

var sessions = map[int]*session{}

//go:noinline
func addSession(i int) {
	sessions[i] = &session{id: i} // site:global
}

func TestPackageMap(t *testing.T) {
	for i := range 2000 {
		addSession(i)
	}
	defer clear(sessions)
	site := siteOf(t, "addSession", "site:global")
	r := capture(t, site, 2000)
	p := r.Paths[0]
	if p.Root != "var github.com/leakslope/leakslope/internal/retain.sessions" || p.RootKind != RootGlobal {
		t.Errorf("root %q [%s], want the package variable\n%s", p.Root, p.RootKind, describe(r))
	}
	if h := last(p); h.Site != site || h.What != "object" {
		t.Errorf("last hop %+v, want the session\n%s", h, describe(r))
	}
	if !slicesContain(p.Hops, func(h Hop) bool { return h.What == "map table" && h.Site == site }) {
		t.Errorf("no map table charged to %s on the path\n%s", site, describe(r))
	}
	// All of the site's objects (the sessions and the map's own tables)
	// are one path; the map retains them all.
	if p.Objects != r.Objects || len(r.Paths) != 1 {
		t.Errorf("%d paths, the first with %d of %d objects\n%s", len(r.Paths), p.Objects, r.Objects, describe(r))
	}
	if p.RetainedBytes < p.Bytes {
		t.Errorf("the path retains %d B, less than the %d B it holds", p.RetainedBytes, p.Bytes)
	}
}

func slicesContain(hs []Hop, f func(Hop) bool) bool {
	for _, h := range hs {
		if f(h) {
			return true
		}
	}
	return false
}

type item struct{ buf [64]byte }

//go:noinline
func newItem() *item {
	return &item{} // site:goroutine
}

// hoard keeps what it receives in a local slice until stop closes.
func hoard(in <-chan *item, stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	var held []*item
	for {
		select {
		case it := <-in:
			held = append(held, it)
		case <-stop:
			runtime.KeepAlive(held)
			return
		}
	}
}

func TestGoroutineLocal(t *testing.T) {
	in, stop := make(chan *item), make(chan struct{})
	var done sync.WaitGroup
	done.Add(1)
	go hoard(in, stop, &done)
	for range 1000 {
		in <- newItem()
	}
	defer done.Wait()
	defer close(stop)
	site := siteOf(t, "newItem", "site:goroutine")
	r := capture(t, site, 1000)
	p := r.Paths[0]
	if p.RootKind != RootGoroutine || !strings.HasPrefix(p.Root, "retain.hoard retain_test.go:") ||
		!strings.HasPrefix(p.RootSite, "goroutine created at retain.TestGoroutineLocal retain_test.go:") {
		t.Errorf("root %q [%s] %q, want hoard's frame in the goroutine TestGoroutineLocal made\n%s", p.Root, p.RootKind, p.RootSite, describe(r))
	}
	if p.Objects != 1000 || len(p.Hops) != 2 || p.Hops[0].What != "slice" || last(p).Site != site {
		t.Errorf("want the 1,000 items behind hoard's slice\n%s", describe(r))
	}
}

type payload struct{ buf [128]byte }

//go:noinline
func schedule(n int) []*time.Timer {
	var ts []*time.Timer
	for range n {
		p := &payload{}                                                             // site:payload
		ts = append(ts, time.AfterFunc(time.Hour, func() { runtime.KeepAlive(p) })) // site:afterfunc
	}
	return ts
}

func TestAfterFuncClosure(t *testing.T) {
	// Only the runtime's timers hold them: the test keeps weak pointers
	// (no path), to stop the timers after.
	var weaks []weak.Pointer[time.Timer]
	for _, tm := range schedule(500) {
		weaks = append(weaks, weak.Make(tm))
	}
	defer func() {
		for _, w := range weaks {
			if tm := w.Value(); tm != nil {
				tm.Stop()
			}
		}
	}()
	site, at := siteOf(t, "schedule", "site:payload"), siteOf(t, "schedule", "site:afterfunc")
	r := capture(t, site, 500)
	p := r.Paths[0]
	var timer, closure bool
	for i, h := range p.Hops {
		if h.What == "timer" && h.Site == at {
			timer = true
			// The closure (made on the AfterFunc line) follows the timer,
			// then the payload.
			closure = i+2 == len(p.Hops)-1 && p.Hops[i+1].Site == at && p.Hops[i+2].Site == site
		}
	}
	if !timer || !closure || p.Objects != 500 {
		t.Errorf("want the timers AfterFunc made at %s, then their closures, then the payloads\n%s", at, describe(r))
	}
	if p.RootKind != RootOther || !strings.HasPrefix(p.Root, "the runtime's timers") {
		t.Errorf("root %q [%s], want the runtime's timers", p.Root, p.RootKind)
	}
}

type conn struct{ buf [80]byte }

//go:noinline
func register(i int) {
	registry.Default.Register(strconv.Itoa(i), &conn{}) // site:registry
}

func TestThirdPartyRegistry(t *testing.T) {
	for i := range 1000 {
		register(i)
	}
	site := siteOf(t, "register", "site:registry")
	r := capture(t, site, 1000)
	p := r.Paths[0]
	if p.Root != "var github.com/leakslope/leakslope/internal/retain/internal/registry.Default" || p.RootKind != RootGlobal {
		t.Errorf("root %q [%s], want registry.Default\n%s", p.Root, p.RootKind, describe(r))
	}
	// Default's struct was made before profiling began; its map's tables
	// and the keys' strings are charged to the line that registered.
	if !p.Hops[0].BeforeProfiling || last(p).Site != site || last(p).What != "object" {
		t.Errorf("want Default's struct (before profiling) → … → the conn\n%s", describe(r))
	}
}

type account struct{ orders *ledger }
type ledger struct{ lines *entry }
type entry struct {
	next *entry
	buf  [40]byte
}

var accounts []*account

//go:noinline
func newAccount() *account {
	return &account{orders: newLedger()} // site:account
}

//go:noinline
func newLedger() *ledger {
	return &ledger{} // site:ledger
}

//go:noinline
func newEntry(next *entry) *entry {
	return &entry{next: next} // site:entry
}

func TestChainOfTypes(t *testing.T) {
	// accounts → account → ledger → entry → entry → … (a list 3,000 long)
	a := newAccount()
	accounts = append(accounts, a) // site:accounts
	defer func() { accounts = nil }()
	for range 3000 {
		a.orders.lines = newEntry(a.orders.lines)
	}
	site := siteOf(t, "newEntry", "site:entry")
	r := capture(t, site, 3000)
	if len(r.Paths) != 1 {
		t.Errorf("a list is one path, not %d\n%s", len(r.Paths), describe(r))
	}
	p := r.Paths[0]
	var sites []string
	for _, h := range p.Hops {
		sites = append(sites, h.Site)
	}
	got := strings.Join(sites, " → ")
	want := strings.Join([]string{siteOf(t, "TestChainOfTypes", "site:accounts"), siteOf(t, "newAccount", "site:account"), siteOf(t, "newLedger", "site:ledger"), site}, " → ")
	if p.Root != "var github.com/leakslope/leakslope/internal/retain.accounts" || got != want {
		t.Errorf("path %s: %s, want accounts → (slice) → account → ledger → entry×3000\n%s", p.Root, got, describe(r))
	}
	if h := last(p); h.Repeat != 3000 || p.Objects != 3000 {
		t.Errorf("last hop ×%d with %d objects, want the list's 3,000 as one hop\n%s", h.Repeat, p.Objects, describe(r))
	}
	// The first object (the slice's array) retains all of it.
	if min := int64(3000 * 48); p.RetainedBytes < min {
		t.Errorf("retained %d B, want ≥ %d", p.RetainedBytes, min)
	}
	// The whole answer, as the dump of this test binary gives it.
	// (Lines are left out: the golden stays put when this file changes.)
	golden.Check(t, "chain.txt", regexp.MustCompile(`retain_test\.go:\d+`).ReplaceAllString(describe(r), "retain_test.go:LINE"))
}

func TestSiteNotInHeap(t *testing.T) {
	res, err := Capture([]string{"nowhere.f nowhere.go:1"})
	if err != nil {
		t.Fatal(err)
	}
	r := res["nowhere.f nowhere.go:1"]
	if r.Objects != 0 || len(r.Paths) != 0 || len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "no object of this site") {
		t.Errorf("a site with no object: %+v", r)
	}
}

type guarded struct{ id int }
type secret struct{ buf [72]byte }

var guards []*guarded

//go:noinline
func guard(n int) {
	for i := range n {
		g := &guarded{id: i}
		s := &secret{} // site:finalizer
		runtime.SetFinalizer(g, func(*guarded) { runtime.KeepAlive(s) })
		guards = append(guards, g)
	}
}

// TestFinalizerClosure: what a finalizer's closure captures is held by the
// finalizer, not by the object it is set on.
func TestFinalizerClosure(t *testing.T) {
	guard(300)
	defer func() {
		for _, g := range guards {
			runtime.SetFinalizer(g, nil)
		}
		guards = nil
	}()
	site := siteOf(t, "guard", "site:finalizer")
	r := capture(t, site, 300)
	p := r.Paths[0]
	if p.RootKind != RootFinalizer || !strings.HasPrefix(p.Root, "finalizer retain.guard (closure)") || p.Objects != 300 || last(p).Site != site {
		t.Errorf("want the 300 secrets held by guard's finalizer closures\n%s", describe(r))
	}
}

type resource struct{ buf [56]byte }

var resources []*guarded

//go:noinline
func track(n int) {
	for i := range n {
		g := &guarded{id: i}
		res := &resource{} // site:cleanup
		runtime.AddCleanup(g, func(r *resource) { runtime.KeepAlive(r) }, res)
		resources = append(resources, g)
	}
}

// TestCleanupArgument: a cleanup's argument is held by the runtime's
// cleanup record, which the heap dump does not list: the answer says so
// rather than invent a root.
func TestCleanupArgument(t *testing.T) {
	track(200)
	defer func() { resources = nil }()
	site := siteOf(t, "track", "site:cleanup")
	r := capture(t, site, 200)
	p := r.Paths[0]
	if p.RootKind != RootOther || !strings.Contains(p.Root, "a cleanup's") || p.Objects != 200 {
		t.Errorf("want the resources under a root the dump does not list\n%s", describe(r))
	}
}

type sholder struct{ items []*item }

// Static values the linker lays out: sA's struct is pointed to by sA,
// sList's element by sList's array, itself a static value.
var (
	sA    = &sholder{}
	sList = []*sholder{{}}
)

//go:noinline
func fillStatic(n int) {
	for range n {
		sList[0].items = append(sList[0].items, &item{}) // site:static
	}
}

// TestStaticValues: a static value is named after the variable that
// points to it, through another static value, never after a neighbour.
func TestStaticValues(t *testing.T) {
	fillStatic(400)
	defer func() { sList[0].items = nil }()
	runtime.KeepAlive(sA)
	site := siteOf(t, "fillStatic", "site:static")
	r := capture(t, site, 400)
	p := r.Paths[0]
	if p.Root != "var github.com/leakslope/leakslope/internal/retain.sList" || p.RootKind != RootGlobal {
		t.Errorf("root %q [%s], want sList\n%s", p.Root, p.RootKind, describe(r))
	}
}

type handle struct{ buf [48]byte }

var handles = map[int]*handle{}

//go:noinline
func openHandle(i int) {
	h := &handle{} // site:handle
	runtime.SetFinalizer(h, func(*handle) {})
	handles[i] = h
}

// TestObjectWithFinalizerHeldElsewhere: a finalizer does not keep the
// object it is set on alive (the runtime roots its function and what the
// object points to): leaked handles are held by the map, as an *os.File
// kept in a map is.
func TestObjectWithFinalizerHeldElsewhere(t *testing.T) {
	for i := range 300 {
		openHandle(i)
	}
	defer func() {
		for _, h := range handles {
			runtime.SetFinalizer(h, nil)
		}
		clear(handles)
	}()
	site := siteOf(t, "openHandle", "site:handle")
	r := capture(t, site, 300)
	p := r.Paths[0]
	if p.Root != "var github.com/leakslope/leakslope/internal/retain.handles" || p.Objects != r.Objects {
		t.Errorf("root %q holds %d of %d; want the map holding all\n%s", p.Root, p.Objects, r.Objects, describe(r))
	}
}

type small struct{ buf [40]byte }

var smalls []*small

// newSmall is inlined into keepSmall: the heap symbols name the site
// newSmall (the inlined frame), the heap dump's bucket names keepSmall
// (the outer function at the pc). The two are matched by the record's pcs.
func newSmall() *small {
	return &small{} // site:inlined
}

//go:noinline
func keepSmall(n int) {
	for range n {
		smalls = append(smalls, newSmall())
	}
}

func TestInlinedAllocatorMatchesItsSymbol(t *testing.T) {
	keepSmall(500)
	defer func() { smalls = nil }()
	site := siteOf(t, "newSmall", "site:inlined")
	r := capture(t, site, 500)
	if p := r.Paths[0]; p.Root != "var github.com/leakslope/leakslope/internal/retain.smalls" || last(p).Site != site {
		t.Errorf("want smalls → … → %s\n%s", site, describe(r))
	}
}
