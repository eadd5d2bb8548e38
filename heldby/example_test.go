package heldby_test

import (
	"log"
	"net/http"
	"net/http/pprof" // and /debug/pprof/ on http.DefaultServeMux

	"github.com/leakslope/leakslope/heldby"
)

// A service mounts the handler beside net/http/pprof, where `leakslope
// hammer --pprof http://127.0.0.1:6060/debug/pprof` asks it.
func ExampleHandler() {
	http.Handle(heldby.Pattern, heldby.Handler()) // "GET /debug/pprof/heldby"
	log.Fatal(http.ListenAndServe("127.0.0.1:6060", nil))
}

// On a mux of its own, mount it beside the pprof handlers there.
func ExampleHandler_mux() {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, goroutine, …
	mux.Handle(heldby.Pattern, heldby.Handler())
	// The CLI is given --pprof http://127.0.0.1:6060/debug/pprof.
	log.Fatal(http.ListenAndServe("127.0.0.1:6060", mux))
}
