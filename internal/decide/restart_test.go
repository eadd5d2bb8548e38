package decide

import (
	"math/rand/v2"
	"testing"
)

// A flat noisy series that restarted just before the end (two points of
// a process warming up) is within as often as one that did not: a short
// newest block's rise is not growth.
func TestRestartAtTheEndIsNotGrowth(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	within := [2]int{}
	for range 200 {
		for k, restart := range []bool{false, true} {
			var s Series
			for i := range 120 {
				s.X, s.Y = append(s.X, float64(i)), append(s.Y, 1000+r.NormFloat64()*10)
			}
			if restart {
				s.Y[118], s.Y[119] = 400+r.NormFloat64()*10, 400+r.NormFloat64()*10
				s.Blocks = []int{0, 118}
			}
			s.Budget, s.Tolerance = 0.5, 0.5
			if Decide([]Series{s}, Config{Alpha: 0.05, Look: 1, Eligible: true})[0].Decision == Within {
				within[k]++
			}
		}
	}
	if within[1] < within[0]-10 {
		t.Errorf("within %d/200 with a restart at the end, %d/200 without: the restart should not matter", within[1], within[0])
	}
}
