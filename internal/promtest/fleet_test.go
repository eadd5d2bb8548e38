package promtest

import (
	"bytes"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestWriteOpenMetrics(t *testing.T) {
	nan := math.NaN()
	series := []HistorySeries{
		{Labels: map[string]string{"__name__": "m", "z": "1", "a": "back\\slash \"quoted\"\nline é"}, Values: []float64{1, nan, 2.5}},
		{Labels: map[string]string{"__name__": "n"}, Values: []float64{nan, 1e21, nan}},
		{Labels: map[string]string{"__name__": "m", "a": "b"}, Values: []float64{-3, 0, 209715200}},
		{Labels: map[string]string{"__name__": "m", "a": "empty"}, Values: []float64{nan, nan, nan}},
	}
	start := time.UnixMilli(1_700_000_000_250)
	var buf bytes.Buffer
	if err := WriteOpenMetrics(&buf, start, 1500*time.Millisecond, series); err != nil {
		t.Fatal(err)
	}
	// m's series together though n comes between them, labels sorted,
	// only \, " and line feed escaped, NaN steps left out.
	want := `# TYPE m gauge
m{a="back\\slash \"quoted\"\nline é",z="1"} 1 1700000000.250
m{a="back\\slash \"quoted\"\nline é",z="1"} 2.5 1700000003.250
m{a="b"} -3 1700000000.250
m{a="b"} 0 1700000001.750
m{a="b"} 209715200 1700000003.250
# TYPE n gauge
n 1e+21 1700000001.750
# EOF
`
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	// promtool takes it, and makes its six samples into blocks.
	tool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not on PATH (Debian's prometheus package; .ci/run installs it)")
	}
	dir := t.TempDir()
	om := filepath.Join(dir, "h.om")
	if err := os.WriteFile(om, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "tsdb", "create-blocks-from", "openmetrics", om, filepath.Join(dir, "data")).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte(" 6 ")) {
		t.Errorf("promtool's blocks do not hold 6 samples:\n%s", out)
	}

	bad := []HistorySeries{{Labels: map[string]string{"__name__": "m", "a-b": "1"}, Values: []float64{1}}}
	if err := WriteOpenMetrics(&buf, start, time.Second, bad); err == nil {
		t.Error("a label name with a dash was written")
	}
	bad = []HistorySeries{{Labels: map[string]string{"a": "1"}, Values: []float64{1}}}
	if err := WriteOpenMetrics(&buf, start, time.Second, bad); err == nil {
		t.Error("a series without a name was written")
	}
}

func TestGenerateFleet(t *testing.T) {
	end := time.Unix(1_700_000_000, 0)
	f := GenerateFleet(1, end)
	if !reflect.DeepEqual(f.Truth, GenerateFleet(1, end).Truth) || !equalSeries(f.Series, GenerateFleet(1, end).Series) {
		t.Error("the same seed generated another fleet")
	}
	if equalSeries(f.Series, GenerateFleet(2, end).Series) {
		t.Error("seeds 1 and 2 generated the same fleet")
	}
	if len(f.Series) != 200 || len(f.Truth) != 200 {
		t.Fatalf("%d series, %d truths, want 200", len(f.Series), len(f.Truth))
	}
	if !f.Start.Add(time.Duration(FleetSteps-1) * f.Step).Equal(end) {
		t.Errorf("start %v, step %v: the last step is not the end", f.Start, f.Step)
	}
	instances := map[string]bool{}
	groups := map[string]int{}
	var restarts []int
	present, gapped := 0, 0
	for i, s := range f.Series {
		tr := f.Truth[i]
		if len(s.Values) != FleetSteps {
			t.Fatalf("series %d has %d values", i, len(s.Values))
		}
		instances[s.Labels["instance"]] = true
		groups[tr.Group]++
		if s.Labels["deployment"] != tr.Group || s.Labels["__name__"] != "app_memory_bytes" || s.Labels["job"] != "fleet" {
			t.Errorf("series %d: labels %v, truth %+v", i, s.Labels, tr)
		}
		if tr.Leak != (tr.Group == "leaky") || tr.Leak != (tr.SlopePerS > 0) {
			t.Errorf("series %d: truth %+v", i, tr)
		}
		if tr.Leak {
			restarts = append(restarts, tr.Restarts)
		}
		if !math.IsNaN(s.Values[FleetSteps-1]) {
			present++
		}
		// A stretch of NaN inside the series: a gap, not a pod's start or end.
		first, last := -1, -1
		for j, v := range s.Values {
			if !math.IsNaN(v) {
				if first < 0 {
					first = j
				}
				last = j
			}
		}
		for j := first; j <= last; j++ {
			if math.IsNaN(s.Values[j]) {
				gapped++
				break
			}
		}
	}
	if len(instances) != 200 {
		t.Errorf("%d distinct instances, want 200", len(instances))
	}
	if want := map[string]int{"leaky": 4, "api": 156, "cache": 40}; !reflect.DeepEqual(groups, want) {
		t.Errorf("deployments %v, want %v", groups, want)
	}
	if want := []int{0, 0, 1, 2}; !reflect.DeepEqual(restarts, want) {
		t.Errorf("leaky pods' restarts %v, want %v", restarts, want)
	}
	if present != 190 || gapped != 20 {
		t.Errorf("%d series present at the end, %d with gaps; want 190 and 20", present, gapped)
	}
}

func equalSeries(a, b []HistorySeries) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Labels, b[i].Labels) || len(a[i].Values) != len(b[i].Values) {
			return false
		}
		for j, v := range a[i].Values {
			if w := b[i].Values[j]; v != w && !(math.IsNaN(v) && math.IsNaN(w)) {
				return false
			}
		}
	}
	return true
}

// The 5-minute lookback as steps of the fleet: an instant query at a
// step sees the latest sample at most this many steps before it.
const lookbackSteps = int(5 * time.Minute / FleetStep)

// at is what Prometheus answers for s at step i: the latest sample
// within the lookback (inclusive), or false.
func at(s HistorySeries, i int) (float64, bool) {
	for j := i; j >= 0 && j >= i-lookbackSteps; j-- {
		if !math.IsNaN(s.Values[j]) {
			return s.Values[j], true
		}
	}
	return 0, false
}

func TestFleetHistory(t *testing.T) {
	end := time.Now().Truncate(FleetStep)
	f := GenerateFleet(1, end)
	t0 := time.Now()
	prom := StartWithHistory(t, f.Start, f.Step, f.Series)
	t.Logf("backfill and start: %v", time.Since(t0))

	// The whole history at 60s: every other step.
	var matrix []struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values"`
	}
	err := prom.get("/api/v1/query_range", url.Values{
		"query": {"app_memory_bytes"},
		"start": {seconds(f.Start.UnixMilli())},
		"end":   {seconds(end.UnixMilli())},
		"step":  {"60"},
	}, &matrix)
	if err != nil {
		t.Fatal(err)
	}
	byInstance := map[string]int{}
	for i, s := range f.Series {
		byInstance[s.Labels["instance"]] = i
	}
	if len(matrix) != len(f.Series) {
		t.Errorf("query_range returned %d series, want %d", len(matrix), len(f.Series))
	}
	missing := 0
	for _, m := range matrix {
		i, ok := byInstance[m.Metric["instance"]]
		if !ok {
			t.Errorf("query_range returned an unknown series %v", m.Metric)
			continue
		}
		s := f.Series[i]
		if !reflect.DeepEqual(m.Metric, s.Labels) {
			t.Errorf("query_range returned %v, want %v", m.Metric, s.Labels)
		}
		got := map[int]float64{}
		for _, p := range m.Values {
			ts, _ := p[0].(float64)
			str, _ := p[1].(string)
			v, err := strconv.ParseFloat(str, 64)
			d := time.UnixMilli(int64(math.Round(ts * 1000))).Sub(f.Start)
			if err != nil || d%f.Step != 0 {
				t.Fatalf("%v: point %v", m.Metric, p)
			}
			got[int(d/f.Step)] = v
		}
		bad := 0
		for j := 0; j < FleetSteps; j += 2 {
			want, ok := at(s, j)
			g, has := got[j]
			if has != ok || has && g != want {
				if bad++; bad <= 3 {
					t.Errorf("%v at step %d: got %v (%v), want %v (%v)", m.Metric["instance"], j, g, has, want, ok)
				}
			}
			if !ok && f.Truth[i].Group == "api" && j > 0 && !math.IsNaN(s.Values[0]) && !math.IsNaN(s.Values[FleetSteps-1]) {
				missing++ // a gap's missing point, not a replaced pod's
			}
		}
	}
	t.Logf("%d points missing in the api pods' gaps", missing)
	// Gaps of 10–40 minutes at 60s leave at least 5 points missing each.
	if missing < 20*5 {
		t.Errorf("%d points missing in gaps, want at least 100", missing)
	}

	var vec []struct {
		Value [2]any `json:"value"`
	}
	err = prom.get("/api/v1/query", url.Values{
		"query": {"count(app_memory_bytes)"},
		"time":  {seconds(end.UnixMilli())},
	}, &vec)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range f.Series {
		if _, ok := at(s, FleetSteps-1); ok {
			want++
		}
	}
	if len(vec) != 1 || vec[0].Value[1] != strconv.Itoa(want) || want < 190 {
		t.Errorf("count(app_memory_bytes) at the end: %v, want %d (at least 190)", vec, want)
	}
}

// A history and scraped targets together: the scrapes append after the
// backfilled blocks.
func TestHistoryScraped(t *testing.T) {
	exp := StartExporter(t)
	step := 15 * time.Second
	start := time.Now().Add(-10 * step).Truncate(time.Second)
	h := []HistorySeries{{
		Labels: map[string]string{"__name__": "old_bytes", "job": "past"},
		Values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
	}}
	prom := StartWithHistory(t, start, step, h, exp.Addr)
	prom.WaitSeries(t, "test_mem_bytes", 3)
	var vec []struct {
		Value [2]any `json:"value"`
	}
	err := prom.get("/api/v1/query", url.Values{
		"query": {"sum_over_time(old_bytes[5m])"},
		"time":  {seconds(start.Add(9 * step).UnixMilli())},
	}, &vec)
	if err != nil {
		t.Fatal(err)
	}
	if len(vec) != 1 || vec[0].Value[1] != "55" {
		t.Errorf("sum_over_time(old_bytes[5m]) at the last step: %v, want 55", vec)
	}
}
