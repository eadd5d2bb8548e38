package leaktest

import (
	"context"
	"fmt"
	"math"
)

// Gauge is a probe of one user value read at every quiesce point, as
// symbol "gauge:NAME": a queue length, open handles, a cache's size. Its
// default budget is no growth per op. Pass it with WithProbes.
func Gauge(name string, read func() float64) Probe {
	return gauge{name: name, read: read}
}

type gauge struct {
	name string
	read func() float64
}

func (g gauge) Name() string { return "gauge:" + g.name }

func (g gauge) Take(context.Context) ([]Sample, error) {
	if g.read == nil {
		return nil, fmt.Errorf("gauge %q: nil func", g.name)
	}
	v := g.read()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("gauge %q: read %v", g.name, v)
	}
	return []Sample{{Sym(KindGauge, g.name), v}}, nil
}
