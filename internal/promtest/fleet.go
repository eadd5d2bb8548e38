package promtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// HistorySeries is one series of a backfilled history.
type HistorySeries struct {
	Labels map[string]string // includes "__name__"
	Values []float64         // one per step from the history's start; NaN = no sample at that step
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// WriteOpenMetrics writes the series as the OpenMetrics text that
// promtool tsdb create-blocks-from openmetrics reads: per metric name a
// "# TYPE name gauge" line and then all its series' samples (OpenMetrics
// wants a family's lines together), timestamps in seconds, NaN values
// left out, ending with "# EOF". Timestamps are written to the
// millisecond, Prometheus's resolution.
func WriteOpenMetrics(w io.Writer, start time.Time, step time.Duration, series []HistorySeries) error {
	var names []string
	byName := map[string][]int{}
	for i, s := range series {
		name := s.Labels["__name__"]
		if !metricName.MatchString(name) {
			return fmt.Errorf("series %d: bad metric name %q", i, name)
		}
		for k := range s.Labels {
			if k != "__name__" && !labelName.MatchString(k) {
				return fmt.Errorf("series %d: bad label name %q", i, k)
			}
		}
		if _, ok := byName[name]; !ok {
			names = append(names, name)
		}
		byName[name] = append(byName[name], i)
	}
	bw := bufio.NewWriter(w)
	for _, name := range names {
		fmt.Fprintf(bw, "# TYPE %s gauge\n", name)
		for _, i := range byName[name] {
			s := series[i]
			// The series's name and labels, the same on each of its lines.
			var b strings.Builder
			b.WriteString(name)
			keys := make([]string, 0, len(s.Labels))
			for k := range s.Labels {
				if k != "__name__" {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			if len(keys) > 0 {
				b.WriteByte('{')
				for j, k := range keys {
					if j > 0 {
						b.WriteByte(',')
					}
					b.WriteString(k)
					b.WriteString(`="`)
					b.WriteString(labelEscaper.Replace(s.Labels[k]))
					b.WriteByte('"')
				}
				b.WriteByte('}')
			}
			id := b.String()
			for j, v := range s.Values {
				if math.IsNaN(v) {
					continue
				}
				fmt.Fprintf(bw, "%s %s %s\n", id, value(v),
					seconds(start.Add(time.Duration(j)*step).UnixMilli()))
			}
		}
	}
	// promtool rejects a file without "# EOF" and one with anything after.
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// labelEscaper escapes an OpenMetrics label value: only backslash, double
// quote and line feed have escapes there (Go's %q would write others).
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// value writes v exactly, whole numbers of bytes as integers for reading.
func value(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// seconds writes ms as decimal seconds exactly: the parser multiplies the
// float by 1000 and truncates, which a float's division could round off.
func seconds(ms int64) string {
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	if ms%1000 == 0 {
		return sign + strconv.FormatInt(ms/1000, 10)
	}
	return fmt.Sprintf("%s%d.%03d", sign, ms/1000, ms%1000)
}

// StartWithHistory backfills the series (a sample every step from start)
// with promtool into a new data directory and starts Prometheus on it
// as Start does, scraping the targets if any. It waits until Prometheus
// is ready and answers for the whole history. The test is skipped when
// promtool or prometheus is not on PATH, and fails with promtool's output
// when promtool fails.
//
// There are no staleness markers in a backfill: a series that ends
// stays visible for the 5-minute lookback after its last sample, and a
// gap of up to 5 minutes is filled with the sample before it.
func StartWithHistory(t testing.TB, start time.Time, step time.Duration, series []HistorySeries, targets ...string) *Server {
	t.Helper()
	tool := lookPath(t, "promtool")
	bin := lookPath(t, "prometheus")
	dir := t.TempDir()
	omPath := filepath.Join(dir, "history.om")
	f, err := os.Create(omPath)
	if err != nil {
		t.Fatal(err)
	}
	err = WriteOpenMetrics(f, start, step, series)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	// promtool reads the whole file once per block: the largest block
	// (18h, the largest of Prometheus's 2h·3ⁿ ranges within 24h) makes
	// 12h of history one or two blocks and reads instead of six or seven.
	// The flag is hidden in promtool 2.42, but there.
	out, err := exec.Command(tool, "tsdb", "create-blocks-from", "openmetrics",
		"--quiet", "--max-block-duration=24h", omPath, data).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool tsdb create-blocks-from openmetrics: %v; its output:\n%s", err, out)
	}
	// Prometheus's default time retention (15d) counts back from the
	// newest block's end, so it keeps a history of less than 15 days.
	s := startOn(t, bin, dir, data, targets)
	s.waitHistory(t, start, step, series)
	return s
}

// waitHistory waits until Prometheus answers for every series of the
// history that has a sample, failing the test after a minute: the
// blocks are loaded before /-/ready, so this only checks it.
func (s *Server) waitHistory(t testing.TB, start time.Time, step time.Duration, series []HistorySeries) {
	t.Helper()
	var names []string
	want, steps := 0, 0
	for _, h := range series {
		steps = max(steps, len(h.Values))
		if slices.ContainsFunc(h.Values, func(v float64) bool { return !math.IsNaN(v) }) {
			want++
			if n := regexp.QuoteMeta(h.Labels["__name__"]); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if want == 0 {
		return
	}
	end := start.Add(time.Duration(steps-1) * step)
	// Every series with a sample in the history, whether or not it has
	// one at the end; the range reaches a step before the start.
	q := fmt.Sprintf(`count(last_over_time({__name__=~%q}[%dms]))`,
		strings.Join(names, "|"), (time.Duration(steps) * step).Milliseconds())
	v := url.Values{"query": {q}, "time": {seconds(end.UnixMilli())}}
	deadline := time.Now().Add(time.Minute)
	got := -1
	for time.Now().Before(deadline) {
		var res []struct {
			Value [2]any `json:"value"`
		}
		if err := s.get("/api/v1/query", v, &res); err == nil && len(res) == 1 {
			if str, ok := res[0].Value[1].(string); ok {
				if n, err := strconv.Atoi(str); err == nil {
					// Scraped targets could add series of the same names.
					if got = n; got >= want {
						return
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("query %q returned %d series after a minute, want %d; prometheus's log:\n%s", q, got, want, s.Log())
}

// get calls the HTTP API at path and decodes its data.result into
// result.
func (s *Server) get(path string, v url.Values, result any) error {
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(s.URL + path + "?" + v.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var a struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return fmt.Errorf("%s: %s: %v", path, resp.Status, err)
	}
	if a.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, a.Error)
	}
	return json.Unmarshal(a.Data.Result, result)
}

// FleetStep and FleetSteps are a generated fleet's scrape interval and
// length: 12 hours.
const (
	FleetStep  = 30 * time.Second
	FleetSteps = 1440
)

// Fleet is a generated fleet's memory history with its ground truth.
type Fleet struct {
	Start  time.Time
	Step   time.Duration
	Series []HistorySeries // app_memory_bytes, job="fleet"
	Truth  []SeriesTruth   // index-aligned with Series
}

// SeriesTruth is what a generated series really does.
type SeriesTruth struct {
	Leak      bool
	SlopePerS float64 // generated leak rate, bytes per second, 0 when clean
	Restarts  int     // OOM kills: drops back to the pod's base
	Group     string  // the deployment label
}

// The fleet's deployments and their pod counts: 4 + 146 + 10 + 40 = 200
// distinct instances (series). The brief's 150 api pods would make 204
// with the replacements, so api has 146.
const (
	fleetLeaky    = 4
	fleetAPI      = 146
	fleetReplaced = 10 // api pods replaced by a deploy, each by a new pod
	fleetGapped   = 20 // api pods with missed scrapes
	fleetCache    = 40
)

const mib = 1 << 20

// GenerateFleet generates 12 hours of app_memory_bytes at 30s steps
// (FleetSteps samples, the last at end) for 200 pods, the same for the
// same seed and end. Values are whole bytes; all noise is stationary.
//
//   - deployment "leaky", 4 pods: leak 8, 16, 32 and 64 MiB/h with noise
//     of sd 1 MiB; a pod whose leak exceeds 300 MiB drops back to its
//     base (an OOM kill): the 32 MiB/h pod once, the 64 MiB/h one twice.
//   - deployment "api", 146 pods, flat at their own levels: by index mod
//     3 exact, noise sd 1 MiB, or noise sd 20 MiB. 20 of them miss
//     scrapes for one or two stretches of 10–40 minutes (longer than the
//     5-minute lookback, so the gaps show), none in the last 10 minutes;
//     10 others are replaced by a deploy between hours 2 and 10: the old
//     series ends and a new pod's series (a new instance, its own level,
//     the same noise) runs from there to the end. 156 series.
//   - deployment "cache", 40 pods: a cache filling 100 MiB over the
//     first 2 hours (concave: fast, then slowing), then flat, with noise
//     of sd 1 MiB.
//
// Pods' bases are 200 MiB ± 40 MiB. At the end 190 series are present
// (the 10 replaced ones ended hours before).
func GenerateFleet(seed int64, end time.Time) Fleet {
	r := rand.New(rand.NewPCG(uint64(seed), 0x1ea4_5109e))
	f := Fleet{Step: FleetStep, Start: end.Add(-(FleetSteps - 1) * FleetStep)}
	hours := func(i int) float64 { return float64(i) * FleetStep.Hours() }
	base := func() float64 { return math.Round(200*mib + (r.Float64()*80-40)*mib) }
	noise := func(sd float64) float64 { return r.NormFloat64() * sd }
	// Instances are 10.0.X.Y:8080, X by deployment, so distinct.
	add := func(group string, x, y int, values []float64, truth SeriesTruth) {
		truth.Group = group
		f.Series = append(f.Series, HistorySeries{
			Labels: map[string]string{
				"__name__":   "app_memory_bytes",
				"job":        "fleet",
				"deployment": group,
				"instance":   fmt.Sprintf("10.0.%d.%d:8080", x, y),
			},
			Values: values,
		})
		f.Truth = append(f.Truth, truth)
	}
	nan := func() []float64 {
		v := make([]float64, FleetSteps)
		for i := range v {
			v[i] = math.NaN()
		}
		return v
	}

	for p, rate := range []float64{8, 16, 32, 64} { // MiB/h
		b := base()
		v := make([]float64, FleetSteps)
		restarts, since := 0, 0 // since: the step the pod last started
		for i := range v {
			leaked := rate * mib * hours(i-since)
			if leaked > 300*mib {
				restarts++
				since, leaked = i, 0
			}
			v[i] = math.Round(b + leaked + noise(mib))
		}
		add("leaky", 1, p+1, v, SeriesTruth{Leak: true, SlopePerS: rate * mib / 3600, Restarts: restarts})
	}

	// Which api pods are replaced and which miss scrapes, disjoint.
	perm := r.Perm(fleetAPI)
	replaced := map[int]bool{}
	gapped := map[int]bool{}
	for _, p := range perm[:fleetReplaced] {
		replaced[p] = true
	}
	for _, p := range perm[fleetReplaced : fleetReplaced+fleetGapped] {
		gapped[p] = true
	}
	flat := func(p, from, to int) []float64 {
		sd := []float64{0, mib, 20 * mib}[p%3]
		b := base()
		v := nan()
		for i := from; i < to; i++ {
			v[i] = math.Round(b + noise(sd))
		}
		return v
	}
	newPod := fleetAPI + 1
	for p := range fleetAPI {
		if !replaced[p] {
			v := flat(p, 0, FleetSteps)
			if gapped[p] {
				// One or two gaps of 20–80 steps, the second in the
				// other half, all ending 10 minutes before the end.
				half := FleetSteps / 2
				for g := range 1 + r.IntN(2) {
					n := 20 + r.IntN(61)
					from := g*half + r.IntN(half-n-20)
					for i := from; i < from+n; i++ {
						v[i] = math.NaN()
					}
				}
			}
			add("api", 2, p+1, v, SeriesTruth{})
			continue
		}
		at := 240 + r.IntN(961) // hours 2 to 10
		add("api", 2, p+1, flat(p, 0, at), SeriesTruth{})
		add("api", 2, newPod, flat(p, at, FleetSteps), SeriesTruth{})
		newPod++
	}

	for p := range fleetCache {
		b := base()
		v := make([]float64, FleetSteps)
		for i := range v {
			u := min(hours(i)/2, 1)
			v[i] = math.Round(b + 100*mib*(1-(1-u)*(1-u)) + noise(mib))
		}
		add("cache", 3, p+1, v, SeriesTruth{})
	}
	return f
}
