package leaktest

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leakslope/leakslope/internal/units"
)

// Budget is the slope a pattern of symbols may not exceed, written
// "PATTERN <= AMOUNT/PER": "heap.bytes:* <= 0B/op",
// "process.rss <= 1MiB/min", "gauge:queue.len <= 0/op". In the pattern
// "*" matches any run of characters ("/" included). AMOUNT takes B, kB,
// KiB, MB, MiB, GB, GiB or no unit; PER is op, s, min or h.
type Budget struct {
	Pattern string
	Max     float64       // per op, or per PerTime
	PerTime time.Duration // 0 for per op

	// bytes is whether the amount was written with a byte unit (or the
	// pattern's symbols are bytes), so String writes it back in bytes:
	// "prom:* <= 100KiB/min", not 102400/min. ParseBudget sets it.
	bytes bool
}

// DefaultBudgets returns the budgets that hold when no user budget matches a
// symbol (a copy: the run's defaults cannot be changed by a caller).
func DefaultBudgets() []string { return slices.Clone(defaultBudgets) }

// DefaultWatchBudgets returns Watch's default budgets (a copy).
func DefaultWatchBudgets() []string { return slices.Clone(defaultWatchBudgets) }

// DefaultTolerances returns the default Tolerance of noisy series (a copy).
func DefaultTolerances() []string { return slices.Clone(defaultTolerances) }

// DefaultWatchTolerances returns Watch's default tolerances (a copy).
func DefaultWatchTolerances() []string { return slices.Clone(defaultWatchTolerances) }

// defaultBudgets hold when no user budget matches a symbol: no growth at
// all per op, but for a process's resident set. Exact in-process
// accounting makes 0 the honest default.
var defaultBudgets = []string{
	"heap.bytes:* <= 0B/op",
	"heap.objects:* <= 0/op",
	"goroutines:* <= 0/op",
	"gauge:* <= 0/op",
	// A resident set moves in pages, at the allocator's discretion: a clean
	// Go service was seen creeping ~10 B/op for seconds after a burst.
	// The tolerance is far under any per-request leak worth finding.
	"process.rss <= 64B/op",
	"process.fds <= 0/op",
	"process.threads <= 0/op",
}

// defaultWatchBudgets are Watch's defaults: with no ops to count, no
// growth per second (the resident set: under 1 MiB an hour).
var defaultWatchBudgets = []string{
	"heap.bytes:* <= 0B/s",
	"heap.objects:* <= 0/s",
	"goroutines:* <= 0/s",
	"gauge:* <= 0/s",
	"process.rss <= 1MiB/h", // pages and allocator creep, as above
	"process.fds <= 0/s",
	"process.threads <= 0/s",
}

// defaultTolerances are the precision asked of noisy series by default
// (see Tolerance): well under one whole object, goroutine or file per
// thousand ops, so that no per-request leak worth finding hides in them,
// yet a clean target whose heap jitters is decided in seconds.
var defaultTolerances = []string{
	"heap.bytes:* <= 0.05B/op",
	"heap.objects:* <= 0.001/op",
	"goroutines:* <= 0.0001/op",
	"runtime.heap.bytes <= 0.05B/op",
	"process.rss <= 16B/op",
	"process.fds <= 0.0001/op",
	"process.threads <= 0.0001/op",
}

// defaultWatchTolerances are Watch's: per time, as its budgets.
var defaultWatchTolerances = []string{
	"heap.bytes:* <= 1KiB/h",
	"heap.objects:* <= 10/h",
	"goroutines:* <= 1/h",
	"runtime.heap.bytes <= 1KiB/h",
	"process.rss <= 1MiB/h",
	"process.fds <= 1/h",
	"process.threads <= 1/h",
}

// ParseBudget parses the budget syntax above. An error names the text and
// the column where it went wrong.
func ParseBudget(text string) (Budget, error) {
	bad := func(col int, format string, args ...any) (Budget, error) {
		return Budget{}, fmt.Errorf("budget %q: column %d: %s", text, col+1, fmt.Sprintf(format, args...))
	}
	op := strings.Index(text, "<=")
	if op < 0 {
		return bad(len(text), `want "PATTERN <= AMOUNT/PER", no "<="`)
	}
	pattern := strings.TrimSpace(text[:op])
	if pattern == "" {
		return bad(0, "empty pattern")
	}
	rest := text[op+2:]
	col := op + 2 + len(rest) - len(strings.TrimLeft(rest, " \t"))
	rest = strings.TrimSpace(rest)
	amount, per, ok := strings.Cut(rest, "/")
	if !ok {
		return bad(col+len(rest), `want "/op", "/s", "/min" or "/h" after the amount`)
	}
	// Split the number from its unit.
	i := 0
	for i < len(amount) && (amount[i] >= '0' && amount[i] <= '9' || strings.ContainsRune(".+-eE", rune(amount[i]))) {
		if (amount[i] == 'e' || amount[i] == 'E') && (i+1 >= len(amount) || !strings.ContainsRune("0123456789+-", rune(amount[i+1]))) {
			break
		}
		i++
	}
	num, unit := amount[:i], strings.TrimSpace(amount[i:])
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return bad(col, "bad number %q", num)
	}
	if v < 0 {
		// A negative budget would call a flat series a leak.
		return bad(col, "%s is negative: a budget bounds growth, want ≥ 0", amount)
	}
	scale, ok := units.ByteUnits[unit]
	if !ok {
		return bad(col+i, "unknown unit %q (want B, kB, KiB, MB, MiB, GB, GiB or none)", unit)
	}
	b := Budget{Pattern: pattern, Max: v * scale, bytes: unit != "" || Symbol(pattern).Bytes()}
	switch strings.TrimSpace(per) {
	case "op":
	case "s", "sec":
		b.PerTime = time.Second
	case "min", "m":
		b.PerTime = time.Minute
	case "h", "hour":
		b.PerTime = time.Hour
	default:
		return bad(col+len(amount)+1, "unknown rate %q (want op, s, min or h)", strings.TrimSpace(per))
	}
	return b, nil
}

// String is the budget as it would be written, from its fields: the
// amount in bytes (B, KiB, MiB or GiB) when it was written with a byte
// unit or the pattern's kind is one of bytes, else as a count;
// ParseBudget reads it back to the same Budget.
func (b Budget) String() string {
	per := "op"
	switch b.PerTime {
	case 0:
	case time.Minute:
		per = "min"
	case time.Hour:
		per = "h"
	default:
		per = "s"
	}
	return fmt.Sprintf("%s <= %s/%s", b.Pattern, b.amount(), per)
}

// amount writes Max in the largest binary unit it reads short in, for a
// budget in bytes.
func (b Budget) amount() string {
	num := strconv.FormatFloat(b.Max, 'g', -1, 64)
	if !b.bytes && !Symbol(b.Pattern).Bytes() {
		return num
	}
	for _, u := range []struct {
		name  string
		scale float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		// In the unit when it reads short there (1.5KiB, not 1536B).
		if v := b.Max / u.scale; math.Abs(v) >= 1 && v*1000 == math.Trunc(v*1000) {
			return strconv.FormatFloat(v, 'g', -1, 64) + u.name
		}
	}
	return num + "B"
}

// PerSecond is the budget's limit per second. A per-op budget has none:
// that is an error, not a division by zero.
func (b Budget) PerSecond() (float64, error) {
	if b.PerTime <= 0 {
		return 0, fmt.Errorf("budget %q is per op: it has no per-second limit", b.String())
	}
	return b.Max / b.PerTime.Seconds(), nil
}

// limit is the budget on its own axis: per op, or per second for a
// per-time budget.
func (b Budget) limit() float64 {
	if b.PerTime > 0 {
		return b.Max / b.PerTime.Seconds()
	}
	return b.Max
}

// Matches reports whether the budget's pattern covers sym.
func (b Budget) Matches(sym Symbol) bool { return glob(b.Pattern, string(sym)) }

// glob matches "*" against any run of characters, "/" included (symbol
// sites hold import paths); everything else literally.
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
