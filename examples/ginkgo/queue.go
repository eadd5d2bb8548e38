// Package queue is the Ginkgo example: a job queue whose leaky version
// starts a watcher goroutine per job that only the queue's Stop ends, and
// its fixed twin.
package queue

import (
	"context"
	"sync"
)

// Queue runs jobs; Stop ends it.
type Queue struct {
	mu    sync.Mutex
	done  chan struct{}
	jobs  int
	leaky bool
}

func New(leaky bool) *Queue { return &Queue{done: make(chan struct{}), leaky: leaky} }

// Submit runs one job under its own context.
func (q *Queue) Submit(ctx context.Context, job func()) {
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if q.leaky {
		go q.watch(jobCtx) // LEAK: waits for Stop, not for the job
	} else {
		go q.watch2(jobCtx)
	}
	job()
	q.mu.Lock()
	q.jobs++
	q.mu.Unlock()
}

// watch is the bug: it ends with the queue, not with its job.
func (q *Queue) watch(ctx context.Context) {
	<-q.done
}

// watch2 is the fix: it ends with its job (or the queue).
func (q *Queue) watch2(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-q.done:
	}
}

// Stop ends the queue's watchers.
func (q *Queue) Stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	select {
	case <-q.done:
	default:
		close(q.done)
	}
}
