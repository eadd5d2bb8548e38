package heldby

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/retain"
)

func serve(t *testing.T, query string) (int, http.Header, answer) {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, Path+"?"+query, nil))
	var a answer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, rec.Body)
	}
	return rec.Code, rec.Header(), a
}

// When the heap dump cannot be read or explained, the answer says why,
// with 503; so it does while another request dumps the heap.
func TestHandlerSaysWhyNot(t *testing.T) {
	old := capture
	t.Cleanup(func() { capture = old })
	capture = func([]string) (map[string]*retain.Result, error) {
		return nil, &retain.UnavailableError{Reason: "the heap dump format of go9.99 is not known to this leakslope"}
	}
	code, _, a := serve(t, "site=a+a.go:1")
	if code != http.StatusServiceUnavailable || a.Error != "retention paths are not available: the heap dump format of go9.99 is not known to this leakslope" || a.Version != Version {
		t.Errorf("%d %+v", code, a)
	}

	capture = func([]string) (map[string]*retain.Result, error) { return nil, errors.New("boom") }
	if code, _, a := serve(t, "site=a+a.go:1"); code != http.StatusInternalServerError || a.Error != "boom" {
		t.Errorf("%d %+v", code, a)
	}

	called := false
	capture = func([]string) (map[string]*retain.Result, error) { called = true; return nil, nil }
	busy <- struct{}{}
	code, hdr, a := serve(t, "site=a+a.go:1")
	<-busy
	if code != http.StatusServiceUnavailable || !strings.Contains(a.Error, "one at a time") || hdr.Get("Retry-After") == "" || called {
		t.Errorf("while busy: %d %+v, Retry-After %q, dumped: %v", code, a, hdr.Get("Retry-After"), called)
	}
}
