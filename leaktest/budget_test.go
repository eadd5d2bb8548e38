package leaktest

import (
	"strings"
	"testing"
	"time"
)

func TestParseBudget(t *testing.T) {
	for text, want := range map[string]Budget{
		"heap.bytes:* <= 0B/op":             {Pattern: "heap.bytes:*", Max: 0},
		"process.rss <= 1MiB/min":           {Pattern: "process.rss", Max: 1 << 20, PerTime: time.Minute},
		"gauge:queue.len<=2.5/s":            {Pattern: "gauge:queue.len", Max: 2.5, PerTime: time.Second},
		"heap.bytes:x.go:12 <= 64 KiB / op": {Pattern: "heap.bytes:x.go:12", Max: 64 << 10},
		"goroutines:* <= 1e-3/op":           {Pattern: "goroutines:*", Max: 1e-3},
		"heap.bytes:* <= 1.5kB/h":           {Pattern: "heap.bytes:*", Max: 1500, PerTime: time.Hour},
	} {
		b, err := ParseBudget(text)
		if err != nil {
			t.Errorf("%q: %v", text, err)
			continue
		}
		if b.Pattern != want.Pattern || b.Max != want.Max || b.PerTime != want.PerTime {
			t.Errorf("%q = %+v, want %+v", text, b, want)
		}
	}
}

func TestParseBudgetErrorsNameTextAndColumn(t *testing.T) {
	for text, want := range map[string]string{
		"heap.bytes:* 0B/op":     `budget "heap.bytes:* 0B/op": column 19: want "PATTERN <= AMOUNT/PER", no "<="`,
		" <= 1B/op":              `column 1: empty pattern`,
		"x <= 1B":                `column 8: want "/op", "/s", "/min" or "/h" after the amount`,
		"x <= 1XB/op":            `column 7: unknown unit "XB"`,
		"x <= abc/op":            `column 6: bad number ""`,
		"x <= 1B/week":           `column 9: unknown rate "week"`,
		"heap.bytes:* <= -1B/op": `budget "heap.bytes:* <= -1B/op": column 17: -1B is negative: a budget bounds growth, want ≥ 0`,
	} {
		_, err := ParseBudget(text)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", text, err, want)
		}
	}
}

func TestBudgetMatches(t *testing.T) {
	b, _ := ParseBudget("heap.bytes:github.com/x/*/store.* <= 0B/op")
	if !b.Matches("heap.bytes:github.com/x/y/z/store.Get") || b.Matches("heap.objects:github.com/x/y/store.Get") {
		t.Error("glob: '*' must cross '/' and the rest must match literally")
	}
	exact, _ := ParseBudget("process.rss <= 1MiB/min")
	if !exact.Matches("process.rss") || exact.Matches("process.rss2") {
		t.Error("a pattern without * matches exactly")
	}
}

func FuzzParseBudget(f *testing.F) {
	for _, s := range []string{"heap.bytes:* <= 0B/op", "process.rss <= 1MiB/min", "x<=1e3/s", "<=", "a <= /", "a <= 1e/op"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		b, err := ParseBudget(text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "budget ") || !strings.Contains(err.Error(), "column ") {
				t.Errorf("error %q does not name the text and column", err)
			}
			return
		}
		// What parses, prints back to something that parses the same.
		b2, err := ParseBudget(b.String())
		if err != nil || b2 != b {
			t.Errorf("%q → %q → %+v, %v", text, b.String(), b2, err)
		}
	})
}

// A budget prints from its fields, and reads back to the same budget.
func TestBudgetStringRoundTrips(t *testing.T) {
	for text, want := range map[string]string{
		"heap.bytes:* <= 0B/op":          "heap.bytes:* <= 0B/op",
		"process.rss <= 1MiB/min":        "process.rss <= 1MiB/min",
		"process.rss<=1048576B/h":        "process.rss <= 1MiB/h",
		"process.rss <= 1kB/op":          "process.rss <= 1000B/op",
		"runtime.heap.bytes <= 1.5KiB/s": "runtime.heap.bytes <= 1.5KiB/s",
		"heap.bytes:* <= 0.05B/op":       "heap.bytes:* <= 0.05B/op",
		"gauge:queue.len <= 2/sec":       "gauge:queue.len <= 2/s",
		"goroutines:* <= 0.0001/op":      "goroutines:* <= 0.0001/op",
		"process.rss <= 0/op":            "process.rss <= 0B/op",
		// Written in bytes, printed in bytes, whatever the pattern's kind.
		"prom:* <= 100KiB/min": "prom:* <= 100KiB/min",
		"prom:* <= 1kB/s":      "prom:* <= 1000B/s",
		"gauge:q <= 2MiB/op":   "gauge:q <= 2MiB/op",
		"prom:* <= 102400/min": "prom:* <= 102400/min",
	} {
		b, err := ParseBudget(text)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != want {
			t.Errorf("ParseBudget(%q).String() = %q, want %q", text, got, want)
		}
		again, err := ParseBudget(b.String())
		if err != nil || again != b {
			t.Errorf("%q read back as %+v (%v), want %+v", b.String(), again, err, b)
		}
	}
}

func TestPerSecondOfAPerOpBudgetIsAnError(t *testing.T) {
	b, _ := ParseBudget("heap.bytes:* <= 0B/op")
	if v, err := b.PerSecond(); err == nil || !strings.Contains(err.Error(), `"heap.bytes:* <= 0B/op" is per op`) {
		t.Errorf("PerSecond of a per-op budget = %v, %v; want an error naming it", v, err)
	}
	b, _ = ParseBudget("process.rss <= 1MiB/min")
	if v, err := b.PerSecond(); err != nil || v != float64(1<<20)/60 {
		t.Errorf("PerSecond = %v, %v", v, err)
	}
}

// The defaults are copies: a caller cannot change a later run's.
func TestDefaultsCannotBeChanged(t *testing.T) {
	for _, f := range []func() []string{DefaultBudgets, DefaultWatchBudgets, DefaultTolerances, DefaultWatchTolerances} {
		d := f()
		want := d[0]
		d[0] = "* <= 1GiB/op"
		if got := f()[0]; got != want {
			t.Errorf("the defaults changed: %q, was %q", got, want)
		}
		for _, text := range f() {
			if _, err := ParseBudget(text); err != nil {
				t.Errorf("default %q: %v", text, err)
			}
		}
	}
}
