package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/clean"
)

// HTTPOption configures an HTTP target.
type HTTPOption interface{ applyHTTP(*httpTarget) }

type httpOptionFunc func(*httpTarget)

func (f httpOptionFunc) applyHTTP(t *httpTarget) { f(t) }

// Body sends body with every request.
func Body(body []byte) HTTPOption {
	return httpOptionFunc(func(t *httpTarget) { t.body = body })
}

// Header adds a request header.
func Header(key, value string) HTTPOption {
	return httpOptionFunc(func(t *httpTarget) { t.header.Add(key, value) })
}

// ExpectStatus sets the statuses that count as success; by default any
// 2xx. Anything else is an op error naming the status.
func ExpectStatus(codes ...int) HTTPOption {
	return httpOptionFunc(func(t *httpTarget) { t.expect = codes })
}

// Timeout bounds each op; an op past it is an op error. Default 10s.
func Timeout(d time.Duration) HTTPOption {
	return httpOptionFunc(func(t *httpTarget) { t.timeout = d })
}

// Client replaces the keep-alive client (a custom transport, TLS).
func Client(c *http.Client) HTTPOption {
	return httpOptionFunc(func(t *httpTarget) { t.client = c })
}

// HTTP makes a target of one request per op over a keep-alive client, the
// seed's concurrent_request.py. The response body is read to the end and
// closed, so connections are reused; a transport error, a timeout or an
// unexpected status is an op error, and the run goes on.
func HTTP(method, url string, opts ...HTTPOption) Target {
	t := &httpTarget{method: method, url: url, header: http.Header{}, timeout: 10 * time.Second}
	for _, o := range opts {
		o.applyHTTP(t)
	}
	if t.client == nil {
		t.client = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // a hammer talks to its service, never through a proxy
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		}}
	}
	return t
}

type httpTarget struct {
	method, url string
	body        []byte
	header      http.Header
	expect      []int
	timeout     time.Duration
	client      *http.Client
}

// String names the target with its URL's secrets redacted (a password,
// api_key=…): it goes in reports and logs.
func (t *httpTarget) String() string { return t.method + " " + clean.URL(t.url) }

func (t *httpTarget) Op(ctx context.Context, i int) error {
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	var body io.Reader
	if t.body != nil {
		body = bytes.NewReader(t.body)
	}
	req, err := http.NewRequestWithContext(ctx, t.method, t.url, body)
	if err != nil {
		return err
	}
	for k, v := range t.header {
		req.Header[k] = v
	}
	resp, err := t.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = clean.URL(ue.URL) // the client strips a password, not a token
		}
		return err
	}
	_, copyErr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !t.ok(resp.StatusCode) {
		return fmt.Errorf("%s: status %s", t, strings.TrimSpace(resp.Status))
	}
	return copyErr
}

// validate refuses, before a single op, what every request would fail on:
// a method that is not a token, a URL that is not http(s), a header with
// CR, LF or NUL in it (it would split the request).
func (t *httpTarget) validate() error {
	if t.method == "" || strings.IndexFunc(t.method, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
		return &FieldError{"Method", fmt.Sprintf("%q", t.method), "an HTTP method token: GET, POST, PUT, …"}
	}
	if u, err := url.Parse(t.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FieldError{"URL", fmt.Sprintf("%q", clean.URL(t.url)), "http(s)://HOST[:PORT]/PATH"}
	}
	for k, vs := range t.header {
		if k == "" || strings.IndexFunc(k, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return &FieldError{"Header", fmt.Sprintf("%q", k), "a header name of token characters"}
		}
		for _, v := range vs {
			// The value is a secret, often: name the header and where.
			if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
				c := map[byte]string{'\r': "CR", '\n': "LF", 0: "NUL"}[v[i]]
				return &FieldError{"Header", fmt.Sprintf("%s (a %s at byte %d of its value)", k, c, i), "a value with no CR, LF or NUL"}
			}
		}
	}
	return nil
}

// isTokenChar is RFC 9110's tchar.
func isTokenChar(r rune) bool {
	return r < 0x7f && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

func (t *httpTarget) ok(code int) bool {
	if len(t.expect) == 0 {
		return code >= 200 && code < 300
	}
	for _, c := range t.expect {
		if c == code {
			return true
		}
	}
	return false
}
