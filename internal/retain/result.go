// Package retain answers the seed's `!gcroot` for Go: what keeps the
// objects of an allocation site alive. It reads a heap dump of the running
// process (runtime/debug.WriteHeapDump, read by internal/heapdump), finds
// the shortest path from a root (a package variable, a goroutine's frame,
// a finalizer) to each object of the site, groups the objects by path,
// and sizes what each path's first object retains from a dominator tree.
//
// Its Result is also the wire format of package heldby, which answers
// the same question inside a service.
package retain

// Root kinds, as the report's JSON spells them.
const (
	RootGlobal    = "global"
	RootGoroutine = "goroutine"
	RootFinalizer = "finalizer"
	RootOther     = "other"
)

// Result is what holds one site's objects.
type Result struct {
	Site    string `json:"site"`
	Objects int64  `json:"objects"` // the site's objects in the dump
	Bytes   int64  `json:"bytes"`
	// Paths, most objects first; the ones past the top few are counted
	// in Other*.
	Paths        []Path   `json:"retained_by"`
	OtherPaths   int      `json:"other_paths,omitempty"`
	OtherObjects int64    `json:"other_objects,omitempty"`
	OtherBytes   int64    `json:"other_bytes,omitempty"`
	Notes        []string `json:"notes,omitempty"` // limits that apply to this answer
	// Sampled: the heap profile is sampled, so Objects and Bytes count
	// the sampled objects only.
	Sampled bool `json:"sampled,omitempty"`
}

// Path is one way from a root to some of the site's objects.
type Path struct {
	Root     string `json:"root"`
	RootKind string `json:"root_kind"`
	// RootSite: where the root is, when known: a goroutine's creation
	// site, a variable's file:line.
	RootSite string `json:"root_site,omitempty"`
	// Path names each hop's site, from the root's object to the site's
	// own; a chain of one site is one hop (Hops says how long).
	Path          []string `json:"path"`
	Hops          []Hop    `json:"hops"`
	Objects       int64    `json:"objects"`
	Bytes         int64    `json:"bytes"`
	RetainedBytes int64    `json:"retained_bytes"` // by the path's first object(s)
}

// Hop is one object on a path, labelled by its allocation site.
type Hop struct {
	// Site is the allocation site, named as heap symbols are ("" when the
	// object was allocated before profiling began).
	Site string `json:"site"`
	// What the allocation made: "map table", "slice", "string", "chan",
	// "timer", "goroutine", "object" (a closure is an object).
	What string `json:"what"`
	// Repeat is the longest chain of objects of this site at this hop
	// (a linked list, a tree): 1 for a single object.
	Repeat int `json:"repeat"`
	// BeforeProfiling: allocated before the run's exact profiling began,
	// so its site is not known.
	BeforeProfiling bool `json:"before_profiling,omitempty"`
	// Unsampled: the heap profile is sampled (runtime.MemProfileRate is
	// not 1) and this object's allocation was not, so its site is not
	// known.
	Unsampled bool `json:"unsampled,omitempty"`
}
