package leaktest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/leakslope/leakslope/leaktest"
	"github.com/leakslope/leakslope/runner"
)

// A service in this process, hammered over HTTP: its handlers' allocations
// are in the heap profile, so the leaky endpoint's line is named.
func TestHTTPTargetAgainstAnInProcessService(t *testing.T) {
	var mu sync.Mutex
	var audit [][]byte
	mux := http.NewServeMux()
	mux.HandleFunc("/leaky", func(w http.ResponseWriter, r *http.Request) {
		entry := make([]byte, 96) // LEAK audit
		mu.Lock()
		audit = append(audit, entry)
		mu.Unlock()
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/clean", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	// No cache here needs 10,000 ops to fill; HTTP under -race is slow.
	quick := leaktest.MinOps(3000)

	// It stops at the leak: a cap far over that is room for a slow machine.
	leaky, err := leaktest.Run(context.Background(), runner.HTTP("GET", srv.URL+"/leaky"), leaktest.Name("http-leaky"), quick, leaktest.MaxDuration(corpusCap))
	if err != nil {
		t.Fatal(err)
	}
	want := markerLinesFile(t, "http_test.go", "audit")
	found := false
	for _, v := range leaky.Leaks() {
		if v.Kind() == leaktest.KindHeapBytes && want[v.Site] {
			found = true
		}
	}
	if !found || leaky.OpErrors.Count != 0 || leaky.Target != "GET "+srv.URL+"/leaky" {
		t.Fatalf("no heap leak naming %v (op errors %d, target %q):\n%s", keys(want), leaky.OpErrors.Count, leaky.Target, leaky)
	}
	clean, err := leaktest.Run(context.Background(), runner.HTTP("GET", srv.URL+"/clean"), leaktest.Name("http-clean"), quick)
	if err != nil {
		t.Fatal(err)
	}
	if clean.Failed() {
		t.Errorf("the clean endpoint leaks:\n%s", clean)
	}
}
