package leaktest

import (
	"testing"
	"time"
)

func TestHistoryThinsEvenlyAndKeepsWarmUpApart(t *testing.T) {
	start := time.Now()
	h := newHistory(start, 16)
	for i := 0; i < 200; i++ {
		if h.full() {
			h.thin()
		}
		warm := i < 20
		samples := []Sample{{"a", float64(i)}}
		if i == 50 {
			samples = append(samples, Sample{"late", 7})
		}
		h.add(start.Add(time.Duration(i)*time.Millisecond), int64(i*100), 0, warm, samples, nil)
	}
	if h.len() > 16 {
		t.Fatalf("history holds %d points, cap 16", h.len())
	}
	if h.warm > maxWarmPoints || h.warm == 0 {
		t.Errorf("warm-up points = %d, want 1..%d", h.warm, maxWarmPoints)
	}
	ops, _, vals := h.fitted("a")
	if ops[0] != 2000 || ops[len(ops)-1] != 19900 {
		t.Errorf("fitted ops run %v..%v, want the first after warm-up (2000) and the newest (19900)", ops[0], ops[len(ops)-1])
	}
	for i := range ops {
		if vals[i] != ops[i]/100 {
			t.Fatalf("point %d: ops %v value %v: columns out of step", i, ops[i], vals[i])
		}
		if i > 0 && ops[i] <= ops[i-1] {
			t.Fatalf("ops not increasing: %v", ops)
		}
	}
	late := h.cols["late"]
	if len(late) != h.len() {
		t.Fatalf("late column has %d points, history %d", len(late), h.len())
	}
	snaps := h.snapshots()
	if len(snaps) != h.len() || !snaps[0].WarmUp || snaps[len(snaps)-1].WarmUp {
		t.Errorf("snapshots: %d, first warm %v, last warm %v", len(snaps), snaps[0].WarmUp, snaps[len(snaps)-1].WarmUp)
	}
}
