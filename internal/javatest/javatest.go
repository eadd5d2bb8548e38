// Package javatest starts a real JVM for a test: a small Java HTTP service
// (LeakSvc.java, the JDK's built-in com.sun.net.httpserver) compiled with
// javac from Debian's openjdk-17-jdk-headless, which .ci/run installs, on
// 127.0.0.1. Tests only.
package javatest

import (
	"bufio"
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed LeakSvc.java
var source []byte

// Service is a running LeakSvc.
type Service struct {
	PID int
	URL string // http://127.0.0.1:PORT; endpoints /leak, /mapleak, /clean

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	log  strings.Builder
}

// Classes are what LeakSvc's endpoints leak, as leakslope names them.
const (
	SessionClass = "com.acme.Session" // /leak
)

// Start compiles LeakSvc and runs it with a small
// heap until the test ends. The test is skipped when javac is not on PATH.
func Start(t testing.TB, jvmFlags ...string) *Service {
	t.Helper()
	java, classes := compile(t)
	// nodelay: the JDK's server leaves Nagle's algorithm on, and a small
	// reply then waits for the client's delayed ACK, 40 ms a request.
	args := append([]string{"-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dsun.net.httpserver.nodelay=true"}, jvmFlags...)
	args = append(args, "-cp", classes, "com.acme.LeakSvc", "0")
	s := &Service{cmd: exec.Command(java, args...), done: make(chan struct{})}
	s.cmd.Stderr = writerFunc(s.write)
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start java: %v", err)
	}
	s.PID = s.cmd.Process.Pid
	t.Cleanup(s.Stop)
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.write([]byte(sc.Text() + "\n"))
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				select {
				case port <- p:
				default:
				}
			}
		}
	}()
	go func() { s.cmd.Wait(); close(s.done) }()
	select {
	case p := <-port:
		s.URL = "http://127.0.0.1:" + p
		return s
	case <-s.done:
		t.Fatalf("java exited before it listened; its output:\n%s", s.Log())
	case <-time.After(60 * time.Second):
		t.Fatalf("java did not listen within a minute; its output:\n%s", s.Log())
	}
	return nil
}

// Stop kills the JVM and waits for it.
func (s *Service) Stop() {
	s.cmd.Process.Kill()
	<-s.done
}

// Log is what the JVM printed so far.
func (s *Service) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *Service) write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// compile builds LeakSvc.java into the test's temporary directory,
// returning java's path and the classes' directory.
func compile(t testing.TB) (java, classes string) {
	t.Helper()
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac is not on PATH (Debian's openjdk-17-jdk-headless; .ci/run installs it)")
	}
	// java beside javac: the same JDK.
	if real, err := filepath.EvalSymlinks(javac); err == nil {
		javac = real
	}
	java = filepath.Join(filepath.Dir(javac), "java")
	dir := t.TempDir()
	src := filepath.Join(dir, "LeakSvc.java")
	if err := os.WriteFile(src, source, 0o600); err != nil {
		t.Fatal(err)
	}
	classes = filepath.Join(dir, "classes")
	if out, err := exec.Command(javac, "-d", classes, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	return java, classes
}
