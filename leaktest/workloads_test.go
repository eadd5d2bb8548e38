package leaktest_test

// The corpus: workloads a user might hammer, leaky and clean. A line that
// a leak verdict must name carries a LEAK marker comment; the tests find
// the line by its marker, so editing this file cannot silently break them.

import (
	"container/list"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

type workload struct {
	name   string
	leak   bool
	kind   leaktest.Kind // the kind of the leak verdict expected ("" for clean)
	marker string        // the LEAK marker naming the line the verdict must name
	file   string        // the file holding the marker; workloads_test.go if ""
	target func() (runner.Target, func())
	opts   []leaktest.Option
}

func simple(f func(ctx context.Context, i int) error) func() (runner.Target, func()) {
	return func() (runner.Target, func()) { return runner.Func(f), func() {} }
}

type session struct {
	id   string
	data [48]byte
}

var workloads = []workload{
	{name: "global-slice", leak: true, kind: "heap.bytes", marker: "global-slice", target: func() (runner.Target, func()) {
		var mu sync.Mutex
		var held [][]byte
		return runner.Func(func(_ context.Context, i int) error {
			b := make([]byte, 256) // LEAK global-slice
			mu.Lock()
			held = append(held, b) // LEAK global-slice
			mu.Unlock()
			return nil
		}), func() { mu.Lock(); held = nil; mu.Unlock() }
	}},
	{name: "map-registry", leak: true, kind: "heap.bytes", marker: "map-registry", target: func() (runner.Target, func()) {
		var mu sync.Mutex
		registry := map[int]*session{}
		return runner.Func(func(_ context.Context, i int) error {
			s := &session{id: "user"} // LEAK map-registry
			mu.Lock()
			registry[i] = s // LEAK map-registry
			mu.Unlock()
			return nil
		}), func() {}
	}},
	{name: "slow-leak-1-per-50", leak: true, kind: "heap.objects", marker: "slow-leak", target: func() (runner.Target, func()) {
		var mu sync.Mutex
		var held []*[64]byte
		return runner.Func(func(_ context.Context, i int) error {
			if i%50 == 0 {
				mu.Lock()
				held = append(held, new([64]byte)) // LEAK slow-leak
				mu.Unlock()
			}
			return nil
		}), func() {}
	}},
	{name: "goroutine-blocked-forever", leak: true, kind: "goroutines", marker: "blocked", target: func() (runner.Target, func()) {
		never := make(chan struct{})
		return runner.Func(func(_ context.Context, i int) error {
			go func() { <-never }() // LEAK blocked
			return nil
		}), func() { close(never) }
	}},
	{name: "context-child-never-cancelled", leak: true, kind: "heap.bytes", marker: "ctx-child", target: func() (runner.Target, func()) {
		root, stop := context.WithCancel(context.Background())
		return runner.Func(func(_ context.Context, i int) error {
			child, cancel := context.WithCancel(root) // LEAK ctx-child
			forget(cancel)
			_ = child
			return nil
		}), stop
	}},
	{name: "ticker-never-stopped", leak: true, kind: "goroutines", marker: "ticker", target: func() (runner.Target, func()) {
		quit := make(chan struct{})
		return runner.Func(func(_ context.Context, i int) error {
			t := time.NewTicker(time.Hour)
			go func() { // LEAK ticker
				for {
					select {
					case <-t.C:
					case <-quit:
						return
					}
				}
			}()
			return nil
		}), func() { close(quit) }
	}},
	// Each leaked op holds two fds (client and server side) of the
	// process's 20,000, so this one decides after 2,000 ops, not 10,000.
	{name: "http-body-not-closed", leak: true, kind: "goroutines", opts: []leaktest.Option{leaktest.MinOps(2000)}, target: func() (runner.Target, func()) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		// No client Timeout: it would cancel each stuck request after that long and
		// close its connection, so on a slow machine (the race detector, parallel
		// packages) the leak plateaus at rate × timeout before the verdict and is
		// rightly called "growth stopped". The run's context still ends every op.
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		return runner.Func(func(ctx context.Context, i int) error {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			_ = resp // the body is never read nor closed: the connection is stuck
			return nil
		}), func() { client.CloseIdleConnections(); srv.CloseClientConnections(); srv.Close() }
	}},

	{name: "lru-capped-4096", target: func() (runner.Target, func()) {
		c := newLRU(4096)
		return runner.Func(func(_ context.Context, i int) error {
			c.Put(i, make([]byte, 32))
			return nil
		}), func() {}
	}},
	{name: "large-transient-allocations", target: simple(func(_ context.Context, i int) error {
		buf := make([]byte, 256<<10)
		buf[i%len(buf)] = 1
		sinkBytes(buf)
		return nil
	})},
	{name: "sync-pool", target: func() (runner.Target, func()) {
		pool := sync.Pool{New: func() any { return new([4096]byte) }}
		return runner.Func(func(_ context.Context, i int) error {
			b := pool.Get().(*[4096]byte)
			b[i%4096] = byte(i)
			pool.Put(b)
			return nil
		}), func() {}
	}},
	{name: "ring-buffer", target: func() (runner.Target, func()) {
		var mu sync.Mutex
		ring := make([]*session, 1024)
		return runner.Func(func(_ context.Context, i int) error {
			s := &session{id: fmt.Sprint(i)}
			mu.Lock()
			ring[i%len(ring)] = s
			mu.Unlock()
			return nil
		}), func() {}
	}},
	{name: "goroutines-that-finish", target: simple(func(_ context.Context, i int) error {
		var wg sync.WaitGroup
		results := make(chan int, 2)
		for k := 0; k < 2; k++ {
			wg.Add(1)
			go func() { defer wg.Done(); results <- i * k }()
		}
		wg.Wait()
		return nil
	})},
	{name: "http-keep-alive", target: func() (runner.Target, func()) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
		return runner.Func(func(ctx context.Context, i int) error {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		}), func() { client.CloseIdleConnections(); srv.Close() }
	}},
	{name: "unreferenced-ticker-go1.23", target: simple(func(_ context.Context, i int) error {
		// Never stopped, but unreferenced: since Go 1.23 the GC collects
		// it, so this is clean (the leak above holds it in a goroutine).
		_ = time.NewTicker(time.Hour)
		return nil
	})},
	// The runtime's caches: goroutines blocking on a contended mutex and on
	// a channel make the runtime allocate sudogs and g structs, which it
	// keeps in free lists sized to the peak concurrency seen so far.
	{name: "contended-mutex-and-channels", target: func() (runner.Target, func()) {
		var mu sync.Mutex
		counter := 0
		return runner.Func(func(_ context.Context, i int) error {
			ch := make(chan int)
			go func() {
				mu.Lock()
				counter++
				mu.Unlock()
				ch <- i
			}()
			mu.Lock()
			counter++
			mu.Unlock()
			<-ch
			return nil
		}), func() {}
	}},
	{name: "context-cancelled", target: func() (runner.Target, func()) {
		root, stop := context.WithCancel(context.Background())
		return runner.Func(func(_ context.Context, i int) error {
			child, cancel := context.WithTimeout(root, time.Hour)
			defer cancel()
			_ = child
			return nil
		}), stop
	}},
}

func forget(context.CancelFunc) {}

var sinkMu sync.Mutex
var sink []byte

//go:noinline
func sinkBytes(b []byte) {
	sinkMu.Lock()
	sink = b[:1]
	sink = nil
	sinkMu.Unlock()
}

// lru is a plain LRU cache of at most max entries.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List
	items map[int]*list.Element
}

type lruEntry struct {
	key int
	val []byte
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[int]*list.Element{}}
}

func (c *lru) Put(k int, v []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		e.Value.(*lruEntry).val = v
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry{k, v})
	if c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry).key)
	}
}
