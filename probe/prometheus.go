package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/clean"
	"github.com/leakslope/leakslope/internal/dump"
	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/leaktest"
)

// Prometheus answers are read with net/http and encoding/json, not
// github.com/prometheus/client_golang/api: one GET and one small JSON
// shape need no client, and that module would bring its own dependency
// tree (prometheus/common, its protobuf and logging packages) to every
// user of package probe.

// Defaults of the Prometheus probe.
const (
	// DefaultMaxSeries bounds the series one query may return.
	DefaultMaxSeries = 10_000
	// DefaultMaxPrometheusResponse bounds one answer of Prometheus: ten
	// thousand series with long label sets are some MiB of JSON.
	DefaultMaxPrometheusResponse = 64 << 20
)

// Prometheus is a probe of whatever a Prometheus server already collects
// (a fleet's memory, goroutines, connections), by the server's base URL
// ("http://prometheus:9090") and a PromQL query
// ("process_resident_memory_bytes{job=\"api\"}"). Each snapshot is an
// instant query (GET BASE/api/v1/query) at that moment; each series of
// its answer is a symbol of kind prom: "prom:" and the series as PromQL
// prints it, the metric name, then the labels sorted by name with their
// values quoted ("prom:process_resident_memory_bytes{instance=\"10.0.3.7:8080\",job=\"api\"}").
// The x axis is time: give budgets per s, min or h
// (leaktest.WithBudget("prom:* <= 8MiB/h")); no default budget matches
// prom symbols, so without one they are charted, not decided.
//
// A query Prometheus refuses as malformed is a *QueryError (the CLI's
// exit 2). Prometheus not answering, answering with another error, a
// result that is not an instant vector, one with no series at all, one
// over MaxSeries series or PrometheusMaxResponse bytes, and a series
// whose value is NaN or infinite fail the snapshot with an error naming
// the URL and the query, which ends the run with the report so far.
//
// A series missing from a snapshot is 0 there, as leaktest's Probe
// contract has every probe's missing symbols. For a Prometheus series
// that is not the truth (a pod that went away has no memory, not 0
// bytes; a pod that came has a history it was not part of), so a
// series that appears after the first snapshot rises from 0 and can
// look like growth: the report warns of every series that appeared or
// vanished mid-run. Restarts and pods coming and going are not yet
// understood (issue 13).
//
// It implements leaktest's Starter (checks the URL, query and headers,
// without asking Prometheus anything), Describer (prom series are
// the user's own: their leaks lead the failure message) and Warner.
func Prometheus(baseURL, query string, opts ...PrometheusOption) leaktest.Probe {
	base := strings.TrimRight(baseURL, "/")
	p := &promProbe{
		base: base, shown: clean.URL(base), query: query, header: http.Header{},
		client: &http.Client{Timeout: 30 * time.Second}, limit: DefaultMaxPrometheusResponse, maxSeries: DefaultMaxSeries,
	}
	for _, o := range opts {
		o.applyProm(p)
	}
	return p
}

// PrometheusOption tunes the Prometheus probe.
type PrometheusOption interface{ applyProm(*promProbe) }

type promOption func(*promProbe)

func (f promOption) applyProm(p *promProbe) { f(p) }

// PrometheusHeader adds a header to every request to Prometheus
// ("Authorization", "Bearer …"); repeatable. A name that is not an HTTP
// token, or a value with CR, LF or NUL, fails the run before it begins,
// with an error that names the header, never its value.
func PrometheusHeader(name, value string) PrometheusOption {
	return promOption(func(p *promProbe) { p.header.Add(name, value) })
}

// MaxSeries bounds the series one query may return; DefaultMaxSeries
// (10,000). More fails the snapshot, naming the query: narrow it with
// label matchers. n < 1 keeps the default.
func MaxSeries(n int) PrometheusOption {
	return promOption(func(p *promProbe) {
		if n > 0 {
			p.maxSeries = n
		}
	})
}

// PrometheusMaxResponse bounds one answer of Prometheus, in bytes;
// DefaultMaxPrometheusResponse (64 MiB). bytes < 1 keeps the default.
func PrometheusMaxResponse(bytes int64) PrometheusOption {
	return promOption(func(p *promProbe) {
		if bytes > 0 {
			p.limit = bytes
		}
	})
}

// QueryError is a query Prometheus refused as malformed (its errorType
// bad_data: a PromQL syntax error, an unknown function): bad input, not
// a failed run.
type QueryError struct {
	URL     string // Prometheus's base URL, its secrets redacted
	Query   string
	Message string // Prometheus's error
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("Prometheus %s refused the query %q as malformed: %s", e.URL, e.Query, e.Message)
}

type promProbe struct {
	base      string
	shown     string // base with its secrets redacted, for names and messages
	query     string
	header    http.Header
	client    *http.Client
	limit     int64
	maxSeries int

	takes    int
	first    map[string]bool // the series of the first snapshot
	last     map[string]bool // of the latest
	appeared map[string]bool // series not in the first snapshot, seen later
	vanished map[string]bool // series missing from a later snapshot
}

func (p *promProbe) Name() string { return "prometheus " + p.shown }

// Start checks what every query would fail on, without a request: an
// error here is bad input (the run does not begin).
func (p *promProbe) Start(context.Context) error {
	if u, err := neturl.Parse(p.base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("Prometheus base URL %q: want http(s)://HOST[:PORT] such as http://127.0.0.1:9090", p.shown)
	}
	if strings.TrimSpace(p.query) == "" {
		return errors.New("Prometheus query: empty: give a PromQL query such as process_resident_memory_bytes{job=\"api\"}")
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.header {
			if !yield(k) {
				return
			}
		}
	}) {
		if k == "" || strings.IndexFunc(k, func(r rune) bool { return !tokenChar(r) }) >= 0 {
			return fmt.Errorf("Prometheus header %q: want a header name of token characters", k)
		}
		for _, v := range p.header[k] {
			// The value is a secret, often: name the header and where.
			if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
				c := map[byte]string{'\r': "CR", '\n': "LF", 0: "NUL"}[v[i]]
				return fmt.Errorf("Prometheus header %s: a %s at byte %d of its value: want a value with no CR, LF or NUL", k, c, i)
			}
		}
	}
	return nil
}

func (p *promProbe) Stop() {}

// tokenChar is RFC 9110's tchar.
func tokenChar(r rune) bool {
	return r < 0x7f && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}

// promAnswer is the envelope of Prometheus's HTTP API.
type promAnswer struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	} `json:"data"`
}

type promSample struct {
	Metric map[string]string  `json:"metric"`
	Value  [2]json.RawMessage `json:"value"`
}

func (p *promProbe) Take(ctx context.Context) ([]leaktest.Sample, error) {
	// Started by hand (a probe given to something else than leaktest's
	// runs): the same checks.
	if p.takes == 0 {
		if err := p.Start(ctx); err != nil {
			return nil, err
		}
	}
	what := fmt.Sprintf("Prometheus %s, query %q", p.shown, p.query)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/v1/query?"+neturl.Values{"query": {p.query}}.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, withoutURL(err))
	}
	for k, vs := range p.header {
		req.Header[k] = vs
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: Prometheus is not answering: %v", what, withoutURL(err))
	}
	defer resp.Body.Close()
	body, err := dump.ReadAll(what, resp.Body, p.limit)
	var tl *dump.TooLargeError
	if errors.As(err, &tl) {
		return nil, fmt.Errorf("%s: the answer is over the %s limit (probe.PrometheusMaxResponse): narrow the query", what, units.Bytes(float64(p.limit)))
	} else if err != nil {
		return nil, err
	}
	var a promAnswer
	if jerr := json.Unmarshal(body, &a); jerr != nil || a.Status == "" {
		// Not Prometheus's API: a proxy's page, a wrong base URL.
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s: %s", what, resp.Status, clip(string(bytes.TrimSpace(body))))
		}
		return nil, fmt.Errorf("%s: not an answer of Prometheus's HTTP API (is %s Prometheus's base URL?): %s", what, p.shown, clip(string(bytes.TrimSpace(body))))
	}
	switch {
	case a.Status != "success" && a.ErrorType == "bad_data":
		return nil, &QueryError{URL: p.shown, Query: p.query, Message: clip(a.Error)}
	case a.Status != "success":
		return nil, fmt.Errorf("%s: %s: %s: %s", what, resp.Status, a.ErrorType, clip(a.Error))
	case a.Data.ResultType != "vector":
		return nil, fmt.Errorf("%s: the result is a %s, want an instant vector (a selector such as process_resident_memory_bytes{job=\"api\"}, or a function of one)", what, a.Data.ResultType)
	case len(a.Data.Result) == 0:
		return nil, fmt.Errorf("%s: the query returned no series", what)
	case len(a.Data.Result) > p.maxSeries:
		return nil, fmt.Errorf("%s: the query returned %d series, over the limit of %d (probe.MaxSeries): narrow it with label matchers", what, len(a.Data.Result), p.maxSeries)
	}
	out := make([]leaktest.Sample, 0, len(a.Data.Result))
	now := make(map[string]bool, len(a.Data.Result))
	for _, raw := range a.Data.Result {
		var s promSample
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("%s: a series of the answer: %v", what, err)
		}
		series := seriesString(s.Metric)
		var text string
		if err := json.Unmarshal(s.Value[1], &text); err != nil {
			return nil, fmt.Errorf("%s: series %s: value %s: want a [time, \"value\"] pair", what, series, clip(string(s.Value[1])))
		}
		v, err := strconv.ParseFloat(text, 64)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: series %s: value %q is not a number", what, series, clip(text))
		case math.IsNaN(v) || math.IsInf(v, 0):
			return nil, fmt.Errorf("%s: series %s: value %s: a slope needs finite values", what, series, text)
		case now[series]:
			// Distinct label sets print distinctly: this is Prometheus
			// answering the same series twice.
			return nil, fmt.Errorf("%s: series %s twice in one answer", what, series)
		}
		now[series] = true
		out = append(out, leaktest.Sample{Symbol: leaktest.Sym(leaktest.KindProm, series), Value: v})
	}
	p.track(now)
	return out, nil
}

// track notes the series that appeared after the first snapshot or
// vanished before the latest, for Warnings.
func (p *promProbe) track(now map[string]bool) {
	p.takes++
	if p.first == nil {
		p.first, p.last = now, now
		p.appeared, p.vanished = map[string]bool{}, map[string]bool{}
		return
	}
	for s := range now {
		if !p.first[s] {
			p.appeared[s] = true
		}
	}
	for s := range p.last {
		if !now[s] {
			p.vanished[s] = true
		}
	}
	p.last = now
}

// Describe says that a series of the query is the user's own: its leaks
// lead the failure message.
func (p *promProbe) Describe(sym leaktest.Symbol) (leaktest.Origin, bool) {
	if sym.Kind() != leaktest.KindProm || p.first == nil {
		return leaktest.Origin{}, false
	}
	s := sym.Site()
	if !p.last[s] && !p.first[s] && !p.appeared[s] && !p.vanished[s] {
		return leaktest.Origin{}, false
	}
	return leaktest.Origin{UserCode: true}, true
}

// Warnings names the series that appeared or vanished mid-run, whose
// missing values count as 0.
func (p *promProbe) Warnings(*leaktest.Report) []string {
	var out []string
	if n := len(p.appeared); n > 0 {
		out = append(out, fmt.Sprintf("%d %s of the query %q appeared after the first snapshot (%s); a series is 0 where it is missing, so it rises from 0 to its first value: read its verdict knowing that",
			n, "series", p.query, some(p.appeared)))
	}
	if n := len(p.vanished); n > 0 {
		out = append(out, fmt.Sprintf("%d %s of the query %q vanished mid-run (%s); a series is 0 where it is missing, so it drops to 0 there",
			n, "series", p.query, some(p.vanished)))
	}
	return out
}

// some lists up to three series of a set, sorted, and how many more.
func some(set map[string]bool) string {
	all := make([]string, 0, len(set))
	for s := range set {
		all = append(all, s)
	}
	slices.Sort(all)
	if len(all) > 3 {
		return strings.Join(all[:3], ", ") + fmt.Sprintf(" and %d more", len(all)-3)
	}
	return strings.Join(all, ", ")
}

// seriesString prints a series as PromQL does: the metric name, then
// the other labels sorted by name, their values quoted with Go's
// escapes: up{instance="10.0.3.7:8080",job="api"}. A series with no
// name (the result of sum or rate) is only its braces: {job="api"}.
func seriesString(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for k := range labels {
		if k != "__name__" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(labels["__name__"])
	if len(names) == 0 && labels["__name__"] != "" {
		return b.String()
	}
	b.WriteByte('{')
	for i, k := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[k]))
	}
	b.WriteByte('}')
	return b.String()
}
