// Package heappeak samples the Go heap during a benchmark's op: the peak
// of what the op made the heap hold, which is what a memory limit sees.
// Benchmarks only.
package heappeak

import (
	"runtime/metrics"
	"sync"
	"time"
)

// objects is the heap's object bytes, live and not yet swept.
const objects = "/memory/classes/heap/objects:bytes"

// Peak samples the heap every 10ms from Start until End.
type Peak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

// Start begins sampling.
func Start() *Peak {
	h := &Peak{stop: make(chan struct{})}
	s := []metrics.Sample{{Name: objects}}
	read := func() uint64 {
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	h.peak = read()
	h.done.Add(1)
	go func() {
		defer h.done.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			h.peak = max(h.peak, read())
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// End stops the sampling and returns the peak in MiB.
func (h *Peak) End() float64 {
	close(h.stop)
	h.done.Wait()
	return float64(h.peak) / (1 << 20)
}
