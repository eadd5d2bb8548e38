// Package dump parses memory snapshots taken elsewhere, for probes of
// remote services and for `leakslope analyze`: pprof heap profiles,
// goroutine dumps (debug=2 text), WinDbg/SOS `!dumpheap -stat` logs and
// JVM class histograms (jcmd GC.class_histogram, jmap -histo).
package dump

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/leakslope/leakslope/internal/units"
)

// ClassStat is one row of a class histogram: a type's live object count
// and their total size.
type ClassStat struct {
	MT    string // method table address, hex (SOS only)
	Count int64
	Bytes int64
	Class string
	// Internal marks the runtime's own machinery (JVMInternal), set by
	// ParseJVMHistogram: not a user's leak, left out of Values.
	Internal bool
}

// ClassHistogram is one parsed class histogram: SOS's `!dumpheap -stat`,
// a JVM's GC.class_histogram. A class may have several rows (one per
// class loader on a JVM): rows are kept as printed, consumers sum them.
type ClassHistogram struct {
	Classes []ClassStat
	// TotalObjects and TotalBytes from the "Total …" line, when present
	// (-1 when absent).
	TotalObjects, TotalBytes int64
}

// ParseDumpheapStat reads the Statistics table of `!dumpheap -stat` (the
// MT / Count / TotalSize / Class Name columns), as WinDbg's SOS and
// dotnet-dump print it: counts and sizes with or without thousands
// separators, class names with spaces (generic instantiations), the
// "Free" pseudo-class, anything before the table ignored. name is used in
// errors, which give file:line and what was wrong.
func ParseDumpheapStat(name string, r io.Reader) (*ClassHistogram, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxSOSLine)
	out := &ClassHistogram{TotalObjects: -1, TotalBytes: -1}
	inTable := false
	sawHeader := 0 // the header's line
	n := 1
	for ; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		fields := strings.Fields(line)
		switch {
		case line == "":
			continue
		case isHeader(fields) && sawHeader > 0:
			// Two dumps' tables would be summed into one snapshot.
			return out, fmt.Errorf("%s:%d: a second `!dumpheap -stat` table (the first at line %d): one dump per file", name, n, sawHeader)
		case isHeader(fields):
			inTable, sawHeader = true, n
			continue
		case sawHeader > 0 && !inTable && otherDump(line):
			return out, fmt.Errorf("%s:%d: %q after the `!dumpheap -stat` table: one dump per file", name, n, clip(line))
		case !inTable:
			continue
		case fields[0] == "Total":
			if err := parseTotal(line, out); err != nil {
				return out, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			inTable = false
			continue
		}
		if len(fields) < 4 {
			return out, fmt.Errorf("%s:%d: want MT, Count, TotalSize and a class name, got %q", name, n, line)
		}
		mt := strings.TrimPrefix(strings.ToLower(fields[0]), "0x")
		if _, err := strconv.ParseUint(strings.ReplaceAll(mt, "`", ""), 16, 64); err != nil {
			return out, fmt.Errorf("%s:%d: MT %q is not a hex address", name, n, fields[0])
		}
		count, err := number(fields[1])
		if err != nil {
			return out, fmt.Errorf("%s:%d: Count %q: %v", name, n, fields[1], err)
		}
		size, err := number(fields[2])
		if err != nil {
			return out, fmt.Errorf("%s:%d: TotalSize %q: %v", name, n, fields[2], err)
		}
		// The class name is the rest of the line: it may hold spaces.
		class := afterFields(line, 3)
		if class == "" {
			return out, fmt.Errorf("%s:%d: no class name in %q", name, n, line)
		}
		out.Classes = append(out.Classes, ClassStat{MT: mt, Count: count, Bytes: size, Class: class})
	}
	if err := sc.Err(); err != nil {
		return out, scanErr(name, n, err, maxSOSLine)
	}
	if sawHeader == 0 {
		return out, fmt.Errorf("%s: no `!dumpheap -stat` table (a line \"MT Count TotalSize Class Name\")", name)
	}
	return out, nil
}

// afterFields returns what follows the first n fields of line, trimmed,
// with the same notion of white space as strings.Fields.
func afterFields(line string, n int) string {
	rest := line
	for i := 0; i < n; i++ {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			return ""
		}
		rest = rest[end:]
	}
	return strings.TrimSpace(rest)
}

func isHeader(f []string) bool {
	return len(f) == 5 && f[0] == "MT" && f[1] == "Count" && f[2] == "TotalSize" && f[3] == "Class" && f[4] == "Name"
}

// maxSOSLine bounds a line of a `!dumpheap -stat` log.
const maxSOSLine = 1 << 20

// wholeRE is a whole number, its thousands grouped by "," or "." (SOS
// prints either, by locale) or not at all: "38,400", "38.400", "38400".
// "38400.5" is none of these.
var wholeRE = regexp.MustCompile(`^(\d+|\d{1,3}(,\d{3})+|\d{1,3}(\.\d{3})+)$`)

// number parses a count or size.
func number(s string) (int64, error) {
	if !wholeRE.MatchString(s) {
		return 0, fmt.Errorf("not a whole number ≥ 0")
	}
	v, err := strconv.ParseInt(strings.NewReplacer(",", "", ".", "").Replace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a whole number ≥ 0: %v", err)
	}
	return v, nil
}

// otherDump tells a line that starts another kind of dump: a goroutine
// dump's header, a pprof text profile's.
func otherDump(line string) bool {
	if id, ok := strings.CutPrefix(line, "goroutine "); ok {
		id, _, _ = strings.Cut(id, " ")
		_, err := strconv.ParseUint(id, 10, 64)
		return err == nil
	}
	return strings.HasPrefix(line, "heap profile:")
}

// scanErr names the line a scanner stopped at, and says so plainly when
// it was too long.
func scanErr(name string, n int, err error, max int) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return fmt.Errorf("%s:%d: a line over %s", name, n, units.Bytes(float64(max)))
	}
	return fmt.Errorf("%s:%d: %v", name, n, err)
}

var totalRE = regexp.MustCompile(`^Total\s+([\d,.]+)\s+objects?(?:,\s*([\d,.]+)\s+bytes?)?`)

// parseTotal reads "Total 12345 objects" or "Total 1,234 objects, 56,789 bytes".
func parseTotal(line string, out *ClassHistogram) error {
	m := totalRE.FindStringSubmatch(line)
	if m == nil {
		return fmt.Errorf("total line %q: want \"Total N objects[, M bytes]\"", line)
	}
	var err error
	if out.TotalObjects, err = number(m[1]); err != nil {
		return fmt.Errorf("total line %q: %v", line, err)
	}
	if m[2] != "" {
		if out.TotalBytes, err = number(m[2]); err != nil {
			return fmt.Errorf("total line %q: %v", line, err)
		}
	}
	return nil
}
