package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
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

func (t *httpTarget) String() string { return t.method + " " + t.url }

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
		return err
	}
	_, copyErr := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if !t.ok(resp.StatusCode) {
		return fmt.Errorf("%s %s: status %s", t.method, t.url, strings.TrimSpace(resp.Status))
	}
	return copyErr
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
