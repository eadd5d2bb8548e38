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
			Root: "var app.m", RootKind: retain.RootGlobal, RootSite: "app.go:1", Path: []string{"(allocated before profiling began)", "app.f app.go:3"},
			Hops:    []retain.Hop{{What: "map table", Repeat: 1, BeforeProfiling: true}, {Site: "app.f app.go:3", What: "object", Repeat: 4}},
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
