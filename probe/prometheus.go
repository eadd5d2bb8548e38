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
	// DefaultPrometheusTimeout bounds one request: Prometheus answers a
	// fleet's query in well under a second; one that takes longer is
	// overloaded, and the run says so.
	DefaultPrometheusTimeout = 30 * time.Second
	// MaxPointsPerSeries is the most points a range query may ask of a
	// series: Prometheus refuses more than 11,000 ("exceeded maximum
	// resolution of 11,000 points per timeseries").
	MaxPointsPerSeries = 11_000
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
// Its series are a fleet's (it is a leaktest.Fleet): a series missing
// from a snapshot is a gap there, not 0 (a pod that went away has no
// memory; one that came has no past), and a drop of more than half (an
// OOM kill, a deploy) is a restart: the slope is fitted between
// restarts. GroupBy pools the series of a deployment into one symbol;
// LimitQuery gives each series its limit and its leak the time until it
// reaches it. With leaktest.Since, a Watch first reads the query's
// history with range queries (History) and decides on it at once.
//
// It implements leaktest's Starter (checks the URL, query, labels and
// headers, without asking Prometheus anything), Describer (prom series
// are the user's own: their leaks lead the failure message), Fleet,
// Historian, Limiter and Warner.
func Prometheus(baseURL, query string, opts ...PrometheusOption) leaktest.Probe {
	base := strings.TrimRight(baseURL, "/")
	p := &promProbe{
		base: base, shown: clean.URL(base), query: query, header: http.Header{},
		client: &http.Client{Timeout: DefaultPrometheusTimeout}, limit: DefaultMaxPrometheusResponse, maxSeries: DefaultMaxSeries,
		labels: map[string]map[string]string{}, group: map[string]leaktest.Symbol{}, isGroup: map[leaktest.Symbol]bool{},
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

// PrometheusTimeout bounds each request to Prometheus;
// DefaultPrometheusTimeout (30 s). d ≤ 0 keeps the default.
func PrometheusTimeout(d time.Duration) PrometheusOption {
	return promOption(func(p *promProbe) {
		if d > 0 {
			p.client.Timeout = d
		}
	})
}

// GroupBy pools the series with the same values of labels (and the same
// metric name) into one symbol per group, "prom:NAME{LABEL=\"VALUE\",…}":
// its slope is fitted within the segments of all its series, so it is a
// slope per series ("deployment api grows 31 MiB/h per pod") however pods
// come and go. The group has the verdict; its series are not decided
// apart.
func GroupBy(labels ...string) PrometheusOption {
	return promOption(func(p *promProbe) { p.groupBy = append(p.groupBy, labels...) })
}

// LimitQuery gives each series a limit, from a second query
// (container_spec_memory_limit_bytes): a series's limit is the one of the
// answer whose labels, but the metric name, all equal the series's, the
// most specific when several do. A leak's verdict then says when it
// would reach it (Verdict.TimeToLimit). Fleet series at their limit
// restart: reaching it does not end the watch.
func LimitQuery(query string) PrometheusOption {
	return promOption(func(p *promProbe) { p.limitQuery = query })
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

	groupBy    []string // GroupBy's labels
	limitQuery string   // LimitQuery's

	takes   int
	labels  map[string]map[string]string // every series seen, by its symbol site
	group   map[string]leaktest.Symbol   // its group's symbol, under GroupBy
	isGroup map[leaktest.Symbol]bool
	limits  map[leaktest.Symbol]leaktest.Limit
	present map[string]bool // the series of the newest snapshot or history step
	notes   []string        // what the limits could not match, for Warnings
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
	for _, l := range p.groupBy {
		if !labelName(l) || l == "__name__" {
			return fmt.Errorf("Prometheus group-by label %q: want a label name ([a-zA-Z_][a-zA-Z0-9_]*), not __name__", l)
		}
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
	p.takes++
	a, err := p.get(ctx, "query", p.query, neturl.Values{})
	if err != nil {
		return nil, err
	}
	what := p.what(p.query)
	switch {
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
		series, _ := p.series(s.Metric)
		_, v, err := promValue(s.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: series %s: %v", what, series, err)
		}
		if now[series] {
			// Distinct label sets print distinctly: this is Prometheus
			// answering the same series twice.
			return nil, fmt.Errorf("%s: series %s twice in one answer", what, series)
		}
		now[series] = true
		out = append(out, leaktest.Sample{Symbol: leaktest.Sym(leaktest.KindProm, series), Value: v})
	}
	p.present = now
	if err := p.readLimits(ctx, time.Time{}); err != nil {
		return nil, err
	}
	return out, nil
}

// what names the URL and a query, for errors.
func (p *promProbe) what(query string) string {
	return fmt.Sprintf("Prometheus %s, query %q", p.shown, query)
}

// get asks Prometheus's API (api/v1/query or query_range) and returns its
// successful answer; every other outcome is an error naming the URL and
// the query.
func (p *promProbe) get(ctx context.Context, api, query string, params neturl.Values) (*promAnswer, error) {
	what := p.what(query)
	params.Set("query", query)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/api/v1/"+api+"?"+params.Encode(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, withoutURL(err))
	}
	for k, vs := range p.header {
		req.Header[k] = vs
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() == nil && isTimeout(err) {
			return nil, fmt.Errorf("%s: Prometheus did not answer within %v: %v", what, p.client.Timeout, withoutURL(err))
		}
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
		return nil, &QueryError{URL: p.shown, Query: query, Message: clip(a.Error)}
	case a.Status != "success":
		return nil, fmt.Errorf("%s: %s: %s: %s", what, resp.Status, a.ErrorType, clip(a.Error))
	}
	return &a, nil
}

// isTimeout reports a client timeout (http.Client.Timeout).
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// promValue reads a [time, "value"] pair; the value must be finite.
func promValue(pair [2]json.RawMessage) (float64, float64, error) {
	var at float64
	if err := json.Unmarshal(pair[0], &at); err != nil {
		return 0, 0, fmt.Errorf("time %s: want a [time, \"value\"] pair", clip(string(pair[0])))
	}
	var text string
	if err := json.Unmarshal(pair[1], &text); err != nil {
		return 0, 0, fmt.Errorf("value %s: want a [time, \"value\"] pair", clip(string(pair[1])))
	}
	v, err := strconv.ParseFloat(text, 64)
	switch {
	case err != nil:
		return 0, 0, fmt.Errorf("value %q is not a number", clip(text))
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, 0, fmt.Errorf("value %s: a slope needs finite values", text)
	}
	return at, v, nil
}

// Describe says that a series of the query is the user's own: its leaks
// lead the failure message.
func (p *promProbe) Describe(sym leaktest.Symbol) (leaktest.Origin, bool) {
	if sym.Kind() != leaktest.KindProm {
		return leaktest.Origin{}, false
	}
	if _, ok := p.labels[sym.Site()]; !ok && !p.isGroup[sym] {
		return leaktest.Origin{}, false
	}
	return leaktest.Origin{UserCode: true}, true
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

// labelName reports a valid Prometheus label name.
func labelName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// series returns the symbol site of a series, noting its labels and, under
// GroupBy, its group; added is true when it was not seen before.
func (p *promProbe) series(labels map[string]string) (site string, added bool) {
	s := seriesString(labels)
	if _, ok := p.labels[s]; ok {
		return s, false
	}
	p.labels[s] = labels
	if len(p.groupBy) > 0 {
		g := map[string]string{"__name__": labels["__name__"]}
		for _, l := range p.groupBy {
			g[l] = labels[l]
		}
		sym := leaktest.Sym(leaktest.KindProm, seriesString(g))
		p.group[s] = sym
		p.isGroup[sym] = true
	}
	return s, true
}

// Group is the symbol a series is pooled into: its GroupBy group, or
// itself. It makes the probe a leaktest.Fleet: a series missing from a
// snapshot is a gap, a drop of more than half a restart.
func (p *promProbe) Group(sym leaktest.Symbol) leaktest.Symbol {
	if g, ok := p.group[sym.Site()]; ok {
		return g
	}
	return sym
}

// Limits are the series's limits from LimitQuery, as last read.
func (p *promProbe) Limits() map[leaktest.Symbol]leaktest.Limit { return p.limits }

// readLimits runs LimitQuery (at a time, or now when at is zero) and
// matches its series to the query's.
func (p *promProbe) readLimits(ctx context.Context, at time.Time) error {
	if p.limitQuery == "" {
		return nil
	}
	params := neturl.Values{}
	if !at.IsZero() {
		params.Set("time", promTime(at))
	}
	a, err := p.get(ctx, "query", p.limitQuery, params)
	if err != nil {
		return fmt.Errorf("the limit query: %w", err)
	}
	what := p.what(p.limitQuery)
	if a.Data.ResultType != "vector" {
		return fmt.Errorf("%s: the result is a %s, want an instant vector", what, a.Data.ResultType)
	}
	if len(a.Data.Result) > p.maxSeries {
		return fmt.Errorf("%s: the query returned %d series, over the limit of %d (probe.MaxSeries)", what, len(a.Data.Result), p.maxSeries)
	}
	type lim struct {
		labels map[string]string
		value  float64
		name   string
	}
	var lims []lim
	for _, raw := range a.Data.Result {
		var s promSample
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("%s: a series of the answer: %v", what, err)
		}
		_, v, err := promValue(s.Value)
		if err != nil {
			return fmt.Errorf("%s: series %s: %v", what, seriesString(s.Metric), err)
		}
		lims = append(lims, lim{s.Metric, v, seriesString(s.Metric)})
	}
	p.limits = map[leaktest.Symbol]leaktest.Limit{}
	p.notes = p.notes[:0]
	unmatched, ambiguous := 0, 0
	for site, labels := range p.labels {
		best, bestN, tie := -1, -1, false
		for i, l := range lims {
			n := 0
			ok := true
			for k, v := range l.labels {
				if k == "__name__" {
					continue
				}
				if labels[k] != v {
					ok = false
					break
				}
				n++
			}
			switch {
			case !ok:
			case n > bestN:
				best, bestN, tie = i, n, false
			case n == bestN:
				tie = true
			}
		}
		switch {
		case best < 0:
			if p.present[site] { // a pod that is gone has no limit now
				unmatched++
			}
		case tie:
			ambiguous++
		default:
			p.limits[leaktest.Sym(leaktest.KindProm, site)] = leaktest.Limit{Value: lims[best].value, Name: lims[best].name}
		}
	}
	if unmatched > 0 {
		p.notes = append(p.notes, fmt.Sprintf("%d series of the query %q have no limit in the answer of %q (a limit series matches when all its labels but the name equal the series's)", unmatched, p.query, p.limitQuery))
	}
	if ambiguous > 0 {
		p.notes = append(p.notes, fmt.Sprintf("%d series of the query %q match two limit series of %q equally well: no limit taken (narrow the limit query)", ambiguous, p.query, p.limitQuery))
	}
	return nil
}

// Warnings says what the limit query could not match.
func (p *promProbe) Warnings(*leaktest.Report) []string { return p.notes }

// promTime is a time as Prometheus's API takes it: Unix seconds, to the
// millisecond.
func promTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// historySamples is what one range query may return, in samples: enough
// for few requests, little enough that an answer stays some MiB.
const historySamples = 500_000

// History reads the query's past with range queries (GET
// BASE/api/v1/query_range), step apart, or coarser when more than
// MaxPointsPerSeries points a series would be asked for, in chunks of
// time so that no answer is larger than some hundred thousand samples:
// ten thousand series over twelve hours are read with leaktest's memory
// bounded. A step where a series has no value is a gap in it (a missed
// scrape, a pod not there); note that Prometheus fills gaps shorter than
// its lookback (5 minutes) with the value before. It makes the probe a
// leaktest.Historian (leaktest.Since, the CLI's --since).
func (p *promProbe) History(ctx context.Context, from, to time.Time, step time.Duration, add func(at time.Time, samples []leaktest.Sample) error) error {
	if p.takes == 0 {
		if err := p.Start(ctx); err != nil {
			return err
		}
	}
	p.takes++
	// Prometheus's times are whole milliseconds: so are these, or the
	// last chunk could hold a point more than counted.
	from = time.UnixMilli(from.Add(time.Millisecond - 1).UnixMilli())
	to = time.UnixMilli(to.UnixMilli())
	span := to.Sub(from)
	step = max(step.Round(time.Millisecond), time.Millisecond)
	if least := span / (MaxPointsPerSeries - 1); step < least {
		step = (least + time.Second - 1).Truncate(time.Second)
	}
	what := p.what(p.query)
	chunk := 60 // steps in the first request, before the series are counted
	seen := 0
	found := false
	var newest []leaktest.Sample // the last step's
	for t0 := from; !t0.After(to); {
		t1 := t0.Add(time.Duration(chunk-1) * step)
		if t1.After(to) {
			t1 = to
		}
		a, err := p.get(ctx, "query_range", p.query, neturl.Values{"start": {promTime(t0)}, "end": {promTime(t1)}, "step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}})
		if err != nil {
			return err
		}
		if a.Data.ResultType != "matrix" {
			return fmt.Errorf("%s: the range query's result is a %s, want a range vector", what, a.Data.ResultType)
		}
		steps := int(t1.Sub(t0)/step) + 1
		at := make([][]leaktest.Sample, steps)
		for _, raw := range a.Data.Result {
			var s struct {
				Metric map[string]string    `json:"metric"`
				Values [][2]json.RawMessage `json:"values"`
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("%s: a series of the answer: %v", what, err)
			}
			series, added := p.series(s.Metric)
			if added {
				if seen++; seen > p.maxSeries {
					return fmt.Errorf("%s: the query's history has over %d series (probe.MaxSeries): narrow it with label matchers", what, p.maxSeries)
				}
			}
			sym := leaktest.Sym(leaktest.KindProm, series)
			for _, pair := range s.Values {
				ts, v, err := promValue(pair)
				if err != nil {
					return fmt.Errorf("%s: series %s: %v", what, series, err)
				}
				i := int(math.Round((ts - float64(t0.UnixMilli())/1000) / step.Seconds()))
				if i < 0 || i >= steps {
					return fmt.Errorf("%s: series %s: a point at %s, outside the range asked for (%s to %s)", what, series,
						time.UnixMilli(int64(ts*1000)).UTC().Format(time.RFC3339Nano), t0.UTC().Format(time.RFC3339Nano), t1.UTC().Format(time.RFC3339Nano))
				}
				at[i] = append(at[i], leaktest.Sample{Symbol: sym, Value: v})
			}
		}
		for i, samples := range at {
			if len(samples) == 0 {
				continue // no series has a point here: no snapshot
			}
			found = true
			newest = samples
			if err := add(t0.Add(time.Duration(i)*step), samples); err != nil {
				return err
			}
		}
		if len(a.Data.Result) > 0 {
			// At most twice the last chunk: the series may grow (a deploy)
			// faster than the answer's limit allows.
			chunk = max(1, min(MaxPointsPerSeries, 2*chunk, historySamples/len(a.Data.Result)))
		}
		t0 = t1.Add(step)
	}
	if !found {
		return fmt.Errorf("%s: the query returned no series from %s to %s", what, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	p.present = make(map[string]bool, len(newest))
	for _, s := range newest {
		p.present[s.Symbol.Site()] = true
	}
	return p.readLimits(ctx, to)
}
