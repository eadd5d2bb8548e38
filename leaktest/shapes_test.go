package leaktest_test

// Workloads of the shapes real code produces that a simple rule gets
// wrong: a bounded buffer that fills late in a long run, a TTL cache whose
// janitor evicts on a timer, a router whose heap jitters, and leaks that
// start late. They join the corpus (and the clean ones its repeat test).

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

func init() {
	workloads = append(workloads, shapes...)
}

var shapes = []workload{
	// A set buffer whose consumer falls behind at op 20,000 and that
	// holds up to 4,000 pending items: it fills from op 20,000 to 80,000,
	// then stays full. MinOps puts the first eligible look mid-fill, where
	// the whole run, its last half and its last quarter all grow; the
	// first quarter does not.
	{name: "buffer-fills-late", opts: []leaktest.Option{leaktest.MinOps(50_000)}, target: func() (runner.Target, func()) {
		var mu sync.Mutex
		var pending [][]byte
		return runner.Func(func(_ context.Context, i int) error {
			if i >= 20_000 && i%15 == 0 {
				mu.Lock()
				if len(pending) < 4000 {
					pending = append(pending, make([]byte, 64))
				}
				mu.Unlock()
			}
			return nil
		}), func() {}
	}},
	// A TTL cache: every op adds an entry that expires after 20ms, and a
	// janitor goroutine deletes expired entries every 10ms. Its size
	// follows the hammer's speed and the janitor's timing: a stationary,
	// noisy series.
	{name: "ttl-cache-janitor", target: func() (runner.Target, func()) {
		c := newTTLCache(20*time.Millisecond, 10*time.Millisecond)
		return runner.Func(func(_ context.Context, i int) error {
			c.Set(i, make([]byte, 64))
			return nil
		}), c.Close
	}},
	// A router behind httptest with a keep-alive client: patterns with
	// path values, a JSON body each way. Connection buffers and the
	// transport's pools make its heap jitter.
	{name: "router-httptest", opts: []leaktest.Option{leaktest.MinOps(3000)}, target: func() (runner.Target, func()) {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]string{"id": r.PathValue("id"), "name": "user"})
		})
		mux.HandleFunc("GET /orders/{id}/items", func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode([]int{1, 2, 3})
		})
		srv := httptest.NewServer(mux)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		return runner.Func(func(ctx context.Context, i int) error {
			path := fmt.Sprintf("/users/%d", i)
			if i%2 == 1 {
				path = fmt.Sprintf("/orders/%d/items", i)
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+path, nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			var v any
			err = json.NewDecoder(resp.Body).Decode(&v)
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return err
		}), func() { client.CloseIdleConnections(); srv.Close() }
	}},
	// An LRU of 2,048 entries, one new key per 4 ops: full at about op
	// 8,200; from then on each eviction keeps a tombstone in a "recently
	// evicted" list that nothing trims. The leak starts late, in the
	// fitted run.
	{name: "leak-after-cache-fills", leak: true, kind: "heap.bytes", marker: "graveyard", file: "shapes_test.go", target: func() (runner.Target, func()) {
		c := newEvictingLRU(2048)
		return runner.Func(func(_ context.Context, i int) error {
			if i%4 == 0 {
				c.Put(i, make([]byte, 48))
			}
			return nil
		}), func() {}
	}},
	{name: "leak-after-op-8000", leak: true, kind: "heap.objects", marker: "after-8000", file: "shapes_test.go", target: func() (runner.Target, func()) {
		var mu sync.Mutex
		var held []*[32]byte
		return runner.Func(func(_ context.Context, i int) error {
			if i >= 8000 {
				mu.Lock()
				held = append(held, new([32]byte)) // LEAK after-8000
				mu.Unlock()
			}
			return nil
		}), func() {}
	}},
}

// ttlCache expires entries after ttl; a janitor deletes them every tick.
type ttlCache struct {
	mu    sync.Mutex
	ttl   time.Duration
	items map[int]ttlEntry
	quit  chan struct{}
	done  sync.WaitGroup
}

type ttlEntry struct {
	val     []byte
	expires time.Time
}

func newTTLCache(ttl, tick time.Duration) *ttlCache {
	c := &ttlCache{ttl: ttl, items: map[int]ttlEntry{}, quit: make(chan struct{})}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-c.quit:
				return
			case now := <-t.C:
				c.mu.Lock()
				for k, e := range c.items {
					if now.After(e.expires) {
						delete(c.items, k)
					}
				}
				c.mu.Unlock()
			}
		}
	}()
	return c
}

func (c *ttlCache) Set(k int, v []byte) {
	c.mu.Lock()
	c.items[k] = ttlEntry{v, time.Now().Add(c.ttl)}
	c.mu.Unlock()
}

func (c *ttlCache) Close() { close(c.quit); c.done.Wait() }

// evictingLRU is an LRU that remembers what it evicted, forever: a
// tombstone per eviction.
type evictingLRU struct {
	lru
	graveyard []*tombstone
}

type tombstone struct {
	key int
	at  time.Time
}

func newEvictingLRU(max int) *evictingLRU {
	return &evictingLRU{lru: lru{max: max, order: list.New(), items: map[int]*list.Element{}}}
}

func (c *evictingLRU) Put(k int, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[k] = c.order.PushFront(&lruEntry{k, v})
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry).key)
		t := &tombstone{key: old.Value.(*lruEntry).key, at: time.Now()} // LEAK graveyard
		c.graveyard = append(c.graveyard, t)
	}
}
