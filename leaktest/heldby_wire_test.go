package leaktest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/leakslope/leakslope/internal/retain"
)

// What package heldby serves (a retain.Result per site) decodes into a
// HeldBy as it is: the same as the in-process conversion, every field.
func TestHeldByDecodesTheWireForm(t *testing.T) {
	r := &retain.Result{
		Site: "app.f app.go:3", Objects: 7, Bytes: 700, OtherPaths: 2, OtherObjects: 3, OtherBytes: 300,
		Notes: []string{"a note"},
		Paths: []retain.Path{{
			Root: "var app.m", RootKind: retain.RootGlobal, RootSite: "app.go:1", Path: []string{"(allocated before profiling began)", "(not sampled)", "app.f app.go:3"},
			Hops:    []retain.Hop{{What: "map table", Repeat: 1, BeforeProfiling: true}, {What: "slice", Repeat: 1, Unsampled: true}, {Site: "app.f app.go:3", What: "object", Repeat: 4}},
			Objects: 4, Bytes: 400, RetainedBytes: 1000,
		}},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got HeldBy
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if want := heldByFrom(r); !reflect.DeepEqual(&got, want) {
		t.Errorf("decoded %+v\nwant    %+v\nfrom %s", got, *want, b)
	}
	// And back: the report's paths are the wire's.
	again, err := json.Marshal(got.Paths)
	if err != nil {
		t.Fatal(err)
	}
	wire, _ := json.Marshal(r.Paths)
	if string(again) != string(wire) {
		t.Errorf("paths re-encoded\n%s\nwant\n%s", again, wire)
	}
}

// A hop whose site is not known says why.
func TestHopText(t *testing.T) {
	for _, c := range []struct {
		hop  Hop
		want string
	}{
		{Hop{Site: "app.f app.go:3", What: "map table", Repeat: 1}, "map table allocated at app.f app.go:3"},
		{Hop{Site: "app.f app.go:3", What: "object", Repeat: 9998}, "object allocated at app.f app.go:3 × 9,998"},
		{Hop{BeforeProfiling: true, Repeat: 1}, "object allocated before profiling began"},
		{Hop{What: "slice", Unsampled: true, Repeat: 2}, "slice not sampled (its site is unknown) × 2"},
		{Hop{Unsampled: true, Repeat: 1}, "object not sampled (its site is unknown)"},
	} {
		if got := c.hop.text(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.hop, got, c.want)
		}
	}
}
