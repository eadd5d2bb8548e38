// gosvc is a Go HTTP service for leakslope's CLI tests: leaky and clean
// endpoints, and net/http/pprof. It listens on 127.0.0.1 on a free port
// and prints "http://ADDR" on its first line of output.
//
// It mounts package heldby beside net/http/pprof, at GET /debug/pprof/heldby.
// -memprofilerate N sets runtime.MemProfileRate first (1: every
// allocation is profiled, so heldby knows every object's site).
//
// "gosvc get URL" is instead a one-request client, for `hammer --
// COMMAND`.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"

	"github.com/leakslope/leakslope/heldby"
)

var (
	mu       sync.Mutex
	sessions [][]byte
	block    = make(chan struct{})
	sink     []byte
	cache    = map[int][]byte{}
	small    [][]byte
	reqs     int
)

// remember keeps every request's buffer in the package variable sessions:
// the leak, held by it.
func remember(b []byte) {
	mu.Lock()
	sessions = append(sessions, b)
	mu.Unlock()
}

func main() {
	rate := flag.Int("memprofilerate", 0, "runtime.MemProfileRate, unless 0")
	flag.Parse()
	if *rate != 0 {
		runtime.MemProfileRate = *rate
	}
	if flag.NArg() == 2 && flag.Arg(0) == "get" {
		resp, err := http.Get(flag.Arg(1))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			log.Fatal(resp.Status)
		}
		return
	}
	http.Handle(heldby.Pattern, heldby.Handler())
	http.HandleFunc("/clean", func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 4096)
		buf[0] = 1
		mu.Lock()
		sink = buf // replaced by the next request: never more than one
		mu.Unlock()
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/leak", func(w http.ResponseWriter, r *http.Request) {
		remember(make([]byte, 4096))
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/cache", func(w http.ResponseWriter, r *http.Request) {
		// A bounded cache: 1,000 entries, each request replaces one.
		mu.Lock()
		reqs++
		cache[reqs%1000] = make([]byte, 1024)
		mu.Unlock()
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/smallleak", func(w http.ResponseWriter, r *http.Request) {
		// 16 bytes a request: far under the heap profile's sampling.
		mu.Lock()
		small = append(small, make([]byte, 16))
		mu.Unlock()
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/goleak", func(w http.ResponseWriter, r *http.Request) {
		go func() { <-block }()
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		// The first three requests leave a goroutine blocked forever on a
		// channel nothing else holds: no trend, but Go 1.27's goroutine
		// leak detection proves them.
		mu.Lock()
		reqs++
		stuck := reqs <= 3
		mu.Unlock()
		if stuck {
			go func() { ch := make(chan int); <-ch }()
		}
		fmt.Fprint(w, "ok")
	})
	http.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers while the client waits
	})
	http.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) {
		os.Exit(0)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, nil))
}
