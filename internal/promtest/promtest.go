// Package promtest starts a real Prometheus server for a test (Debian's
// prometheus package; .ci/run installs it) on 127.0.0.1, with a temporary
// data directory, scraping the test's own exporters. Tests only.
package promtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// ScrapeInterval is how often the test's Prometheus scrapes. Prometheus
// 2.42 has no minimum (promtool accepts 10ms); a quarter second keeps
// the watches short without keeping a busy 2-core machine busier.
const ScrapeInterval = 250 * time.Millisecond

// Job is the job label of the scraped exporters.
const Job = "leakslope"

// Server is a running Prometheus.
type Server struct {
	URL string // its base URL: http://127.0.0.1:PORT

	cmd  *exec.Cmd
	mu   sync.Mutex
	done chan struct{}
	log  *bytes.Buffer
}

// Start starts Prometheus scraping the targets (HOST:PORT, at /metrics)
// every ScrapeInterval, and waits until it is ready. The test is skipped
// when prometheus is not on PATH. It is killed and waited for when the
// test ends.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	return startOn(t, lookPath(t, "prometheus"), t.TempDir(), "", targets)
}

// lookPath finds a binary of Debian's prometheus package, skipping the
// test without it.
func lookPath(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not on PATH (Debian's prometheus package; .ci/run installs it)", name)
	}
	return bin
}

// startOn runs Start's Prometheus with its config in dir, on dataDir, or
// on a fresh data directory per try when dataDir is "".
func startOn(t testing.TB, bin, dir, dataDir string, targets []string) *Server {
	t.Helper()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = fmt.Sprintf("%q", tg)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: %s
  scrape_timeout: %s
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: [%s]
`, ScrapeInterval, ScrapeInterval, Job, strings.Join(quoted, ", "))
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	// A free port can be taken between Close and Prometheus's listen:
	// then Prometheus exits at once, and another port is tried.
	var last string
	for range 3 {
		addr := freeAddr(t)
		s := &Server{URL: "http://" + addr, done: make(chan struct{}), log: &bytes.Buffer{}}
		data := dataDir
		if data == "" {
			data = filepath.Join(dir, "data-"+strings.ReplaceAll(addr, ":", "_"))
		}
		s.cmd = exec.Command(bin,
			"--config.file="+cfgPath,
			"--storage.tsdb.path="+data,
			"--web.listen-address="+addr,
			"--log.level=warn",
		)
		s.cmd.Stdout, s.cmd.Stderr = lockedWriter{s}, lockedWriter{s}
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("start prometheus: %v", err)
		}
		go func() { s.cmd.Wait(); close(s.done) }()
		if s.ready(60 * time.Second) {
			t.Cleanup(s.Stop)
			return s
		}
		s.Stop()
		last = s.Log()
	}
	t.Fatalf("prometheus did not become ready; its log:\n%s", last)
	return nil
}

type lockedWriter struct{ s *Server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// Log is what Prometheus has logged so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Stop kills Prometheus and waits for it; a second Stop does nothing.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		s.cmd.Process.Kill()
	}
	<-s.done
}

func (s *Server) ready(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 5 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return false
		default:
		}
		resp, err := client.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// WaitSeries waits until the query returns n series (the targets have
// been scraped), failing the test after a minute: a bound on a hang,
// not a timing assertion.
func (s *Server) WaitSeries(t testing.TB, query string, n int) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(time.Minute)
	got := -1
	for time.Now().Before(deadline) {
		resp, err := client.Get(s.URL + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
		if err == nil {
			var a struct {
				Data struct {
					Result []json.RawMessage `json:"result"`
				} `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&a)
			resp.Body.Close()
			if err == nil {
				if got = len(a.Data.Result); got == n {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("query %q returned %d series after a minute, want %d; prometheus's log:\n%s", query, got, n, s.Log())
}

// freeAddr is a 127.0.0.1 address nothing listens on (as of now).
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// DeadURL is an http URL on 127.0.0.1 where nothing listens.
func DeadURL(t testing.TB) string { return "http://" + freeAddr(t) }

// Exporter is an HTTP server on 127.0.0.1 serving the text exposition
// format at /metrics: test_mem_bytes with three series, by label role:
// "grow" rises 1 MiB at each scrape, "flat" stays, "noisy" jitters by up
// to 16 KiB around a constant. The grow series also has a label whose
// value needs PromQL's escapes.
type Exporter struct {
	Addr string // HOST:PORT

	mu      sync.Mutex
	scrapes int
	srv     *http.Server
}

// GrowLabels are the grow series's labels besides job and instance, as
// PromQL prints them (sorted by name, after instance and job).
const GrowLabels = `note="a \"quoted\" \\ value",role="grow"`

// StartExporter starts an Exporter, closed when the test ends.
func StartExporter(t testing.TB) *Exporter {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &Exporter{Addr: l.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", e.metrics)
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go e.srv.Serve(l)
	t.Cleanup(func() { e.srv.Close() })
	return e
}

func (e *Exporter) metrics(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.scrapes++
	n := e.scrapes
	e.mu.Unlock()
	// A fixed, scrape-indexed jitter: noisy, stationary, the same every run.
	jitter := []int{0, 9000, -12000, 16000, -3000, 7000, -16000, 11000, -8000, 2000}[n%10]
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP test_mem_bytes A test's memory.\n# TYPE test_mem_bytes gauge\n")
	fmt.Fprintf(w, "test_mem_bytes{role=\"grow\",note=\"a \\\"quoted\\\" \\\\ value\"} %d\n", 10<<20+n<<20)
	fmt.Fprintf(w, "test_mem_bytes{role=\"flat\"} %d\n", 50<<20)
	fmt.Fprintf(w, "test_mem_bytes{role=\"noisy\"} %d\n", 80<<20+jitter)
}

// Series is the symbol site of a series of role: test_mem_bytes with its
// labels as PromQL prints them.
func (e *Exporter) Series(role string) string {
	extra := fmt.Sprintf("role=%q", role)
	if role == "grow" {
		extra = GrowLabels
	}
	return fmt.Sprintf(`test_mem_bytes{instance=%q,job=%q,%s}`, e.Addr, Job, extra)
}

// StartScraped starts an Exporter and a Prometheus scraping it, and waits
// until Prometheus has the exporter's three test_mem_bytes series.
func StartScraped(t testing.TB) (*Exporter, *Server) {
	t.Helper()
	exp := StartExporter(t)
	prom := Start(t, exp.Addr)
	prom.WaitSeries(t, "test_mem_bytes", 3)
	return exp, prom
}
