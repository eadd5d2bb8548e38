// gosvc is a Go HTTP service for leakslope's CLI tests: leaky and clean
// endpoints, and net/http/pprof. It listens on 127.0.0.1 on a free port
// and prints "http://ADDR" on its first line of output.
//
// "gosvc get URL" is instead a one-request client, for `hammer --
// COMMAND`.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"sync"
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

// remember keeps every request's buffer: the leak.
func remember(b []byte) {
	mu.Lock()
	sessions = append(sessions, b)
	mu.Unlock()
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "get" {
		resp, err := http.Get(os.Args[2])
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
