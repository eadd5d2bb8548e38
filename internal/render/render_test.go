package render

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	goldenfile "github.com/leakslope/leakslope/internal/golden"
)

func golden(t *testing.T, name, got string) { t.Helper(); goldenfile.Check(t, name, got) }

// samplePage: a leak growing 64 B/op after a warm-up, and a flat site.
func samplePage() *Page {
	leak := Chart{Symbol: `heap.bytes:store.(*Store).Put store.go:12`, Decision: "leak", Bytes: true, WarmUp: 4, Slope: 64, Lo: 62, Hi: 66, Budget: 0}
	flat := Chart{Symbol: `heap.bytes:store.newBuf buf.go:9 <b>&</b>`, Decision: "within", Bytes: true, WarmUp: 4, Slope: 0, Lo: 0, Hi: 0, Budget: 0}
	for i := 0; i < 40; i++ {
		ops := float64(i * 300)
		leak.Ops = append(leak.Ops, ops)
		leak.Seconds = append(leak.Seconds, float64(i)*0.025)
		leak.Values = append(leak.Values, 200000+64*ops+float64(i%3)*50)
		flat.Ops, flat.Seconds = leak.Ops, leak.Seconds
		flat.Values = append(flat.Values, 4096)
	}
	return &Page{
		Title: "TestStore <script>alert(1)</script>", Verdict: "leak", Failed: true, Hammer: "4 workers × 100 jobs/round",
		Ops: 11700, Duration: "1.2s", Stopped: "decided",
		Symbols: []Symbol{
			{Name: leak.Symbol, Class: "leak", Decision: "leak", Slope: "64 B/op [62, 66]", PerSec: "2.5 MiB/s", Budget: "0 B/op", Values: "195 KiB → 943 KiB",
				Stack: []string{"example.com/store.(*Store).Put\n\t/src/store.go:12"}},
			{Name: flat.Symbol, Class: "within", Decision: "within (growth stopped)", Slope: "0 B/op [0, 0]", PerSec: "0 B/s", Budget: "0 B/op", Values: "4 KiB → 4 KiB"},
		},
		Charts:    []Chart{leak, flat},
		Artifacts: []Artifact{{"first profile", "/tmp/a/first.pb.gz"}, {"last profile", "/tmp/a/last.pb.gz"}},
		PprofDiff: "go tool pprof -diff_base /tmp/a/first.pb.gz /tmp/a/last.pb.gz",
	}
}

func TestChartGolden(t *testing.T) {
	golden(t, "leak.svg", samplePage().Charts[0].SVG())
	golden(t, "flat.svg", samplePage().Charts[1].SVG())
}

func TestHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := samplePage().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", b.String())
}

func TestEverythingIsEscaped(t *testing.T) {
	var b bytes.Buffer
	if err := samplePage().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script>", "<b>&</b>"} {
		if strings.Contains(out, bad) {
			t.Errorf("page holds unescaped %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") || !strings.Contains(out, "&lt;b&gt;&amp;&lt;/b&gt;") {
		t.Error("escaped forms missing")
	}
	for _, offline := range []string{"http://", "https://"} {
		for _, m := range regexp.MustCompile(`(src|href)="`+offline).FindAllString(out, -1) {
			t.Errorf("page loads from the network: %s", m)
		}
	}
}

var lineRE = regexp.MustCompile(`<line class="(fit|budget)" x1="([0-9.]+)" y1="([0-9.]+)" x2="([0-9.]+)" y2="([0-9.]+)"`)

// In SVG y grows downwards: a rising series has a fit line whose end is
// above its start; a flat one has them level, on the budget line.
func TestFitLineFollowsTheSeries(t *testing.T) {
	lines := func(svg string) map[string][4]float64 {
		out := map[string][4]float64{}
		for _, m := range lineRE.FindAllStringSubmatch(svg, -1) {
			var v [4]float64
			for i := range v {
				v[i], _ = strconv.ParseFloat(m[i+2], 64)
			}
			out[m[1]] = v
		}
		return out
	}
	rising := lines(samplePage().Charts[0].SVG())
	if f := rising["fit"]; !(f[3] < f[1]-100) {
		t.Errorf("leak's fit line does not rise: %v", f)
	}
	if b, f := rising["budget"], rising["fit"]; !(f[3] < b[3]) {
		t.Errorf("leak's fit ends below the budget line: fit %v budget %v", f, b)
	}
	flat := lines(samplePage().Charts[1].SVG())
	if f := flat["fit"]; math.Abs(f[3]-f[1]) > 0.01 {
		t.Errorf("flat series' fit line is not level: %v", f)
	}
	if n := strings.Count(samplePage().Charts[0].SVG(), `class="pt warm"`); n != 4 {
		t.Errorf("%d warm-up points greyed, want 4", n)
	}
}

func TestTicksAreNice(t *testing.T) {
	got := ticks(0, 11700, 6)
	want := []float64{0, 2000, 4000, 6000, 8000, 10000}
	if len(got) != len(want) {
		t.Fatalf("ticks = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ticks = %v, want %v", got, want)
		}
	}
}
