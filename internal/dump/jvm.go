package dump

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/leakslope/leakslope/internal/units"
)

// maxJVMLine bounds a line of a JVM class histogram.
const maxJVMLine = 1 << 20

// ParseJVMHistogram reads a JVM class histogram as `jcmd PID
// GC.class_histogram` and `jmap -histo[:live] PID` print it, JDK 8 to 21:
// a header " num #instances #bytes class name [(module)]", a dashes line,
// rows "N: instances bytes class", and a "Total instances bytes" line
// (TotalObjects and TotalBytes, -1 when absent). Anything before the
// header (jcmd's "PID:" line) is ignored; one histogram per input. Class
// names are made readable (JavaClassName) and the JVM's own machinery is
// marked Internal (JVMInternal). Rows are kept as printed: a class loaded
// by several class loaders has a row for each, which consumers sum. name
// is used in errors, which give file:line and what was wrong.
func ParseJVMHistogram(name string, r io.Reader) (*ClassHistogram, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxJVMLine)
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
		case isJVMHeader(fields) && sawHeader > 0:
			// Two histograms' rows would be summed into one snapshot.
			return out, fmt.Errorf("%s:%d: a second class histogram (the first at line %d): one histogram per file", name, n, sawHeader)
		case isJVMHeader(fields):
			inTable, sawHeader = true, n
			continue
		case sawHeader > 0 && !inTable && (otherDump(line) || isHeader(fields)):
			return out, fmt.Errorf("%s:%d: %q after the class histogram: one dump per file", name, n, clip(line))
		case !inTable:
			continue
		case strings.Trim(line, "-") == "":
			continue // the rule under the header
		case fields[0] == "Total":
			if len(fields) != 3 {
				return out, fmt.Errorf("%s:%d: total line %q: want \"Total INSTANCES BYTES\"", name, n, clip(line))
			}
			var err error
			if out.TotalObjects, err = plain(fields[1]); err != nil {
				return out, fmt.Errorf("%s:%d: total instances %q: %v", name, n, clip(fields[1]), err)
			}
			if out.TotalBytes, err = plain(fields[2]); err != nil {
				return out, fmt.Errorf("%s:%d: total bytes %q: %v", name, n, clip(fields[2]), err)
			}
			inTable = false
			continue
		}
		num, ok := strings.CutSuffix(fields[0], ":")
		if _, err := plain(num); !ok || err != nil {
			return out, fmt.Errorf("%s:%d: want \"N: INSTANCES BYTES CLASS\", got %q", name, n, clip(line))
		}
		if len(fields) < 4 {
			return out, fmt.Errorf("%s:%d: want instances, bytes and a class name, got %q", name, n, clip(line))
		}
		count, err := plain(fields[1])
		if err != nil {
			return out, fmt.Errorf("%s:%d: #instances %q: %v", name, n, clip(fields[1]), err)
		}
		size, err := plain(fields[2])
		if err != nil {
			return out, fmt.Errorf("%s:%d: #bytes %q: %v", name, n, clip(fields[2]), err)
		}
		class := JavaClassName(afterFields(line, 3))
		if class == "" {
			return out, fmt.Errorf("%s:%d: no class name in %q", name, n, clip(line))
		}
		out.Classes = append(out.Classes, ClassStat{Count: count, Bytes: size, Class: class, Internal: JVMInternal(class)})
	}
	if err := sc.Err(); err != nil {
		return out, scanErr(name, n, err, maxJVMLine)
	}
	if sawHeader == 0 {
		return out, fmt.Errorf("%s: no class histogram (a line \"num #instances #bytes class name\", as `jcmd PID GC.class_histogram` and `jmap -histo PID` print)", name)
	}
	if out.TotalObjects < 0 {
		// jcmd and jmap always end with it: the rest was cut off, and
		// every class missing from the cut would read 0.
		return out, fmt.Errorf("%s:%d: the histogram ends without its \"Total\" line: cut off?", name, n-1)
	}
	return out, nil
}

// isJVMHeader tells the histogram's header, with the module column of JDK
// 9 and later or without.
func isJVMHeader(f []string) bool {
	if len(f) == 6 && f[5] == "(module)" {
		f = f[:5]
	}
	return len(f) == 5 && f[0] == "num" && f[1] == "#instances" && f[2] == "#bytes" && f[3] == "class" && f[4] == "name"
}

// plain parses a count as the JVM prints it: digits alone.
func plain(s string) (int64, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("not a whole number ≥ 0")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a whole number ≥ 0: %v", err)
	}
	return v, nil
}

// JavaClassName writes a class name from a JVM histogram as a Java
// programmer does: the module suffix (" (java.base@17.0.15)") dropped,
// array descriptors as types ("[B" → "byte[]", "[[Ljava.lang.Object;" →
// "java.lang.Object[][]"), nested classes with a dot
// ("java.util.HashMap$Node" → "java.util.HashMap.Node"). Anonymous and
// local classes keep their "$1" (they have no better name), and from a
// "$$" on (lambdas' "$$Lambda$5", proxies' "$$EnhancerByCGLIB$$…") the
// name is kept as printed. A hidden class's "/0x…" address is dropped: it
// differs per process, and a symbol must be the same across dumps and
// runs (baselines).
//
// Two normal classes are never merged: "a.B$C" and "a.B.C" would be, but
// Java forbids a package and a class of the same name (JLS §7.1). Hidden
// classes the JVM does not number (JDK 21's "Foo$$Lambda/0x…") are
// merged, and so summed. A name it writes reads back as itself.
func JavaClassName(raw string) string {
	name := strings.TrimSpace(raw)
	for {
		s := trimHiddenAddress(trimModule(name))
		if s == name {
			break
		}
		name = s
	}
	if dims := len(name) - len(strings.TrimLeft(name, "[")); dims > 0 {
		elem, ok := arrayElement(name[dims:])
		if !ok {
			return name // not a descriptor: as printed
		}
		return elem + strings.Repeat("[]", dims)
	}
	return nestedDots(name)
}

// trimModule drops a trailing " (module@version)".
func trimModule(name string) string {
	if !strings.HasSuffix(name, ")") {
		return name
	}
	i := strings.LastIndex(name, " (")
	if i <= 0 {
		return name
	}
	mod := name[i+2 : len(name)-1]
	if mod == "" || strings.ContainsAny(mod, " \t()") {
		return name
	}
	return strings.TrimRight(name[:i], " \t")
}

// trimHiddenAddress drops a hidden class's trailing "/0xHEX".
func trimHiddenAddress(name string) string {
	if i := strings.LastIndex(name, "/0x"); i > 0 && i+3 < len(name) && allIn(name[i+3:], "0123456789abcdefABCDEF") {
		return name[:i]
	}
	// JDK 8 names a lambda's class by a decimal identity hash:
	// Foo$$Lambda$1/1831932724.
	if i := strings.LastIndex(name, "/"); i > 0 && i+1 < len(name) && strings.Contains(name[:i], "$$Lambda$") && allIn(name[i+1:], "0123456789") {
		return name[:i]
	}
	return name
}

func allIn(s, chars string) bool {
	for _, c := range s {
		if !strings.ContainsRune(chars, c) {
			return false
		}
	}
	return true
}

var primitives = map[string]string{
	"B": "byte", "C": "char", "D": "double", "F": "float",
	"I": "int", "J": "long", "S": "short", "Z": "boolean",
}

// arrayElement reads an array descriptor's element type: a primitive's
// letter or "Lclass;".
func arrayElement(d string) (string, bool) {
	if p, ok := primitives[d]; ok {
		return p, true
	}
	class, ok := strings.CutPrefix(d, "L")
	if class, ok = strings.CutSuffix(class, ";"); !ok || class == "" || strings.ContainsAny(class, "[;") {
		return "", false
	}
	class = trimHiddenAddress(class)
	if class == "" {
		return "", false
	}
	return nestedDots(class), true
}

// nestedDots writes "Outer$Inner" as "Outer.Inner", keeping "$1" and
// everything from a "$$" on.
func nestedDots(name string) string {
	if !strings.Contains(name, "$") {
		return name
	}
	b := []byte(name)
	encoded := false // in a package segment that starts with $: as printed
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '.':
			encoded = false
			continue
		case b[i] != '$' || i+1 == len(b):
			continue
		case i == 0 || b[i-1] == '.':
			// A name that starts with $ is not nested: jdk.proxy1.$Proxy12,
			// Scala's $colon$colon.
			encoded = true
			continue
		case encoded:
			continue
		}
		next := b[i+1]
		if next == '$' {
			break // generated: as printed from here
		}
		if next >= '0' && next <= '9' {
			continue // anonymous or local
		}
		b[i] = '.'
	}
	return string(b)
}

// internalPrefixes are the packages of the JVM's own machinery: the
// method handles and lambda forms spun as call sites link
// (java.lang.invoke), generated reflection accessors, and a Java JIT's
// (JVMCI, Graal) own heap objects.
var internalPrefixes = []string{
	"java.lang.invoke.",
	"jdk.internal.reflect.",
	"sun.reflect.",
	"jdk.vm.ci.",
	"jdk.graal.compiler.",
	"org.graalvm.compiler.",
	"jdk.internal.vm.compiler.",
}

// JVMInternal tells a class (as JavaClassName writes it) of the JVM's own
// machinery, whose growth is the runtime warming up, not a user's leak
// (as leakslope's own allocations are no symbols in Go): JDK ≤7's
// "<methodKlass>" pseudo-classes (PermGen metadata) and the classes, and
// arrays of them, of internalPrefixes. java.lang.Class is not: a class
// loader leak shows only there.
func JVMInternal(class string) bool {
	if len(class) > 2 && class[0] == '<' && class[len(class)-1] == '>' {
		return true
	}
	class = strings.TrimRight(class, "[]")
	for _, p := range internalPrefixes {
		if strings.HasPrefix(class, p) {
			return true
		}
	}
	return false
}

// ClassTotals counts rows of a class histogram: distinct classes, their
// objects and bytes.
type ClassTotals struct {
	Classes        int
	Objects, Bytes int64
}

// Values calls fn with each row's bytes (KindHeapBytes) and object count
// (KindHeapObjects) by class, once per row: a class with several rows
// (class loaders) is summed by fn's caller. SOS's "Free" (free space
// between objects, no objects) and the rows marked Internal are left out;
// what the latter held is returned, for a warning.
func (h *ClassHistogram) Values(fn func(kind, class string, v float64)) (left ClassTotals) {
	seen := map[string]bool{}
	for _, c := range h.Classes {
		switch {
		case c.Internal:
			if !seen[c.Class] {
				seen[c.Class] = true
				left.Classes++
			}
			left.Objects += c.Count
			left.Bytes += c.Bytes
			continue
		case c.Class == "Free" && c.MT != "":
			continue
		}
		fn(KindHeapBytes, c.Class, float64(c.Bytes))
		fn(KindHeapObjects, c.Class, float64(c.Count))
	}
	return left
}

// LeftOutWarning says what of the JVM's own machinery the class
// histograms of a run left out of its symbols (JVMInternal), first and
// last ("dump" or "snapshot" names them): growing, it may still be the
// service's doing (method handles spun per request), so a reader is told.
// "" when nothing was left out.
func LeftOutWarning(first, last ClassTotals, what string) string {
	if last.Classes == 0 && first.Classes == 0 {
		return ""
	}
	classes := "classes"
	if last.Classes == 1 {
		classes = "class"
	}
	grew := ""
	if last.Bytes > first.Bytes {
		grew = fmt.Sprintf("; they grew from %s in %s objects at the first %s", units.Bytes(float64(first.Bytes)), units.Group(first.Objects), what)
	}
	return fmt.Sprintf("the JVM's own machinery is not trended, as leakslope's own allocations are not in Go: %d %s of java.lang.invoke, reflection accessors and a Java JIT, %s in %s objects at the last %s%s",
		last.Classes, classes, units.Bytes(float64(last.Bytes)), units.Group(last.Objects), what, grew)
}

// libraryPrefixes are the packages and namespaces of the runtimes' own
// class libraries.
var libraryPrefixes = []string{"java.", "javax.", "jdk.", "sun.", "com.sun.", "System.", "Microsoft."}

// LibraryClass tells a class of a runtime's own library — the JDK's, .NET's,
// a primitive array — from the service's own. A service's leaking class
// leads the report, as user code does in Go; the library's classes that
// leak with it (the byte[] in each leaked Session) follow.
func LibraryClass(class string) bool {
	class = strings.TrimRight(class, "[]")
	switch class {
	case "boolean", "byte", "char", "short", "int", "long", "float", "double":
		return true
	}
	for _, p := range libraryPrefixes {
		if strings.HasPrefix(class, p) {
			return true
		}
	}
	return false
}

// ParseClassHistogram reads a class histogram of format f: SOSStat or
// JVMHistogram, as Sniff tells them.
func ParseClassHistogram(name string, f Format, r io.Reader) (*ClassHistogram, error) {
	switch f {
	case SOSStat:
		return ParseDumpheapStat(name, r)
	case JVMHistogram:
		return ParseJVMHistogram(name, r)
	}
	return nil, fmt.Errorf("%s: a %s is not a class histogram", name, f)
}
