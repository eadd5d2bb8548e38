package javatest

import (
	"io"
	"net/http"
	"testing"
)

func TestStartServes(t *testing.T) {
	s := Start(t)
	for _, path := range []string{"/leak", "/mapleak", "/clean"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Errorf("%s: %d %q", path, resp.StatusCode, body)
		}
	}
	if s.PID <= 0 {
		t.Errorf("PID %d", s.PID)
	}
}
