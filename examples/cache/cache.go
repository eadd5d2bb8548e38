// Package cache is the example a user copies: a cache that leaks and its
// fixed twin, each checked by leaktest in cache_test.go.
package cache

import (
	"container/list"
	"fmt"
	"sync"
)

// Loader loads the value of a key on a miss.
type Loader func(key string) []byte

// LeakyCache remembers every value it ever loaded: with keys that never
// repeat (request IDs, user sessions), it grows until the process dies.
type LeakyCache struct {
	mu    sync.Mutex
	load  Loader
	items map[string][]byte
}

func NewLeaky(load Loader) *LeakyCache {
	return &LeakyCache{load: load, items: map[string][]byte{}}
}

func (c *LeakyCache) Get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.items[key]; ok {
		return v
	}
	v := c.load(key)
	c.items[key] = v // LEAK: nothing ever evicts
	return v
}

// Cache is the fix: at most Max entries, least recently used evicted.
type Cache struct {
	mu    sync.Mutex
	load  Loader
	max   int
	order *list.List
	items map[string]*list.Element
}

type entry struct {
	key string
	val []byte
}

func New(max int, load Loader) *Cache {
	if max < 1 {
		panic(fmt.Sprintf("cache.New: max = %d, want ≥ 1", max))
	}
	return &Cache{load: load, max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *Cache) Get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*entry).val
	}
	v := c.load(key)
	c.items[key] = c.order.PushFront(&entry{key, v})
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry).key)
	}
	return v
}

// Len is the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
