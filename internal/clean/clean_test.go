package clean_test

import (
	"testing"

	"github.com/leakslope/leakslope/internal/clean"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:s3cret@127.0.0.1:8080/api?n=1":             "http://user:REDACTED@127.0.0.1:8080/api?n=1",
		"http://127.0.0.1/api?api_key=abc&n=1&access_token=xyz": "http://127.0.0.1/api?access_token=REDACTED&api_key=REDACTED&n=1",
		"http://127.0.0.1/api?Session=1&SIG=2":                  "http://127.0.0.1/api?SIG=REDACTED&Session=REDACTED",
		"http://user@127.0.0.1/x?page=2":                        "http://user@127.0.0.1/x?page=2",
		"http://127.0.0.1:6060/debug/pprof":                     "http://127.0.0.1:6060/debug/pprof",
		"%zz not a url":                                         "%zz not a url",
		"http://u:hunter2@127.0.0.1/%zz?token=abc&n=1":          "http://u:REDACTED@127.0.0.1/%zz?token=REDACTED&n=1",
		"127.0.0.1:80/x?token=abc":                              "127.0.0.1:80/x?token=REDACTED",
	} {
		if got := clean.URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTerminal(t *testing.T) {
	for in, want := range map[string]string{
		"heap.bytes:Evil\x1b]0;pwned\x07 a.go:1": `heap.bytes:Evil\x1b]0;pwned\x07 a.go:1`,
		"line one\n\tline two":                   "line one\n\tline two",
		"clear\x1b[2J\rover":                     `clear\x1b[2J\x0dover`,
		"c1\u009bcsi":                            `c1\x9bcsi`,
		"bidi\u202eevil":                         `bidi\u202eevil`,
		"bad\xffutf8":                            "bad\uFFFDutf8",
		"plain café":                             "plain café",
	} {
		if got := clean.Terminal(in); got != want {
			t.Errorf("Terminal(%q) = %q, want %q", in, got, want)
		}
	}
}
