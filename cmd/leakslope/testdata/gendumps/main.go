// gendumps writes the dump series of leakslope's analyze tests: six heap
// profiles and six goroutine dumps of a program in which one site keeps
// growing (sessions, waiters) and others stay flat.
//
//	go run ./cmd/leakslope/testdata/gendumps cmd/leakslope/testdata/dumps
package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

var (
	sessions [][]byte
	cache    = map[int][]byte{}
	block    = make(chan struct{})
)

func openSession() { sessions = append(sessions, make([]byte, 2048)) }

func fillCache(i int) { cache[i%64] = make([]byte, 1024) }

func waiter() { <-block }

func main() {
	runtime.MemProfileRate = 512
	dir := os.Args[1]
	for d := 1; d <= 6; d++ {
		for i := 0; i < 400; i++ {
			openSession()
			fillCache(i)
		}
		for i := 0; i < 5; i++ {
			go waiter()
		}
		runtime.GC()
		runtime.GC()
		write(filepath.Join(dir, fmt.Sprintf("heap-%d.pb.gz", d)), "heap", 0)
		write(filepath.Join(dir, fmt.Sprintf("goroutines-%d.txt", d)), "goroutine", 2)
	}
}

func write(path, profile string, debug int) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
