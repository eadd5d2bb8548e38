package heldby_test

import (
	"log"
	"net/http"
	_ "net/http/pprof" // /debug/pprof/ on http.DefaultServeMux

	"github.com/leakslope/leakslope/heldby"
)

// A service mounts the handler beside net/http/pprof, where `leakslope
// hammer --pprof http://127.0.0.1:6060/debug/pprof` asks it.
func ExampleHandler() {
	http.Handle(heldby.Path, heldby.Handler()) // "/debug/pprof/heldby"
	log.Fatal(http.ListenAndServe("127.0.0.1:6060", nil))
}

// On a mux of its own, mount it at the pprof base plus "/heldby".
func ExampleHandler_mux() {
	mux := http.NewServeMux()
	mux.Handle("/internal/pprof/heldby", heldby.Handler())
	// ... the pprof handlers under /internal/pprof/; the CLI is given
	// --pprof http://HOST:PORT/internal/pprof.
	log.Fatal(http.ListenAndServe("127.0.0.1:6060", mux))
}
