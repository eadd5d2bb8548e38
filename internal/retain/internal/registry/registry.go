// Package registry stands in for a third-party library that keeps what it
// is given: a package-level registry holding a map of pointers. Tests only.
package registry

// Registry keeps values by key until Unregister, which nobody calls.
type Registry struct {
	entries map[string]any
}

// Default is the package's registry, as many libraries have one.
var Default = &Registry{entries: map[string]any{}}

// Register keeps v under key.
func (r *Registry) Register(key string, v any) { r.entries[key] = v }
