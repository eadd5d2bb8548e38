package dump

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseJVMFile(t *testing.T, path string) *ClassHistogram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := ParseJVMHistogram(filepath.Base(path), f)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// sums adds up a histogram's rows.
func sums(h *ClassHistogram) (objects, bytes int64) {
	for _, c := range h.Classes {
		objects += c.Count
		bytes += c.Bytes
	}
	return objects, bytes
}

func find(h *ClassHistogram, class string) []ClassStat {
	var out []ClassStat
	for _, c := range h.Classes {
		if c.Class == class {
			out = append(out, c)
		}
	}
	return out
}

// TestParseJDK17Samples reads histograms a JDK 17 printed (testdata/jvm:
// jcmd GC.class_histogram at startup and after load, jmap -histo:live):
// every row is read, and in these the rows sum to the Total line.
func TestParseJDK17Samples(t *testing.T) {
	for _, tc := range []struct {
		file           string
		rows           int
		objects, bytes int64
	}{
		{"jcmd-17-startup.txt", 380, 28173, 1257672},
		{"jcmd-17-loaded.txt", 540, 47784, 2054544},
		{"jmap-17-histo-live.txt", 540, 47784, 2054544},
	} {
		h := parseJVMFile(t, "testdata/jvm/"+tc.file)
		if len(h.Classes) != tc.rows || h.TotalObjects != tc.objects || h.TotalBytes != tc.bytes {
			t.Errorf("%s: %d rows, total %d objects %d bytes; want %d, %d, %d", tc.file, len(h.Classes), h.TotalObjects, h.TotalBytes, tc.rows, tc.objects, tc.bytes)
		}
		if o, b := sums(h); o != h.TotalObjects || b != h.TotalBytes {
			t.Errorf("%s: rows sum to %d objects %d bytes, Total says %d, %d", tc.file, o, b, h.TotalObjects, h.TotalBytes)
		}
		if c := h.Classes[0]; c != (ClassStat{Count: 13285, Bytes: 619704, Class: "byte[]"}) && tc.file != "jcmd-17-startup.txt" {
			t.Errorf("%s: first row %+v", tc.file, c)
		}
	}
	h := parseJVMFile(t, "testdata/jvm/jcmd-17-loaded.txt")
	for class, internal := range map[string]bool{
		"java.lang.String":                   false,
		"java.lang.Class":                    false,
		"java.util.HashMap.Node":             false,
		"java.util.HashMap.Node[]":           false,
		"java.lang.Object[]":                 false,
		"LeakSvc$$Lambda$5":                  false,
		"java.net.SocketImpl$$Lambda$4":      false,
		"java.lang.invoke.LambdaForm.Name":   true,
		"java.lang.invoke.LambdaForm.Name[]": true,
		"java.lang.invoke.MethodType.ConcurrentWeakInternSet.WeakEntry": true,
	} {
		rows := find(h, class)
		if len(rows) != 1 || rows[0].Internal != internal {
			t.Errorf("%s: rows %+v, want one with Internal %v", class, rows, internal)
		}
	}
	for _, c := range h.Classes {
		if strings.Contains(c.Class, "/0x") || strings.Contains(c.Class, "(java.base") || strings.HasPrefix(c.Class, "[") {
			t.Errorf("not made readable: %q", c.Class)
		}
	}
}

func TestParseJDK8Layout(t *testing.T) {
	h := parseJVMFile(t, "testdata/jvm/jdk8-jmap-handwritten.txt")
	if len(h.Classes) != 18 || h.TotalObjects != 108710 || h.TotalBytes != 14140224 {
		t.Fatalf("%d rows, total %d, %d", len(h.Classes), h.TotalObjects, h.TotalBytes)
	}
	if o, b := sums(h); o != h.TotalObjects || b != h.TotalBytes {
		t.Errorf("rows sum to %d, %d", o, b)
	}
	// One row per class loader, kept: the consumer sums them.
	if rows := find(h, "LeakSvc.Session"); len(rows) != 2 || rows[0].Count != 2001 || rows[1].Count != 10 || rows[0].Internal {
		t.Errorf("LeakSvc.Session rows %+v", rows)
	}
	for class, internal := range map[string]bool{
		"<constMethodKlass>": true, "<methodKlass>": true, "<symbolKlass>": true,
		"sun.reflect.GeneratedMethodAccessor1": true,
		"char[]":                               false, "int[][]": false, "LeakSvc$1": false,
		"java.util.HashMap.Entry[]": false, "java.lang.Class": false,
	} {
		if rows := find(h, class); len(rows) != 1 || rows[0].Internal != internal {
			t.Errorf("%s: rows %+v, want one with Internal %v", class, rows, internal)
		}
	}
}

func TestJavaClassName(t *testing.T) {
	for raw, want := range map[string]string{
		"java.lang.String (java.base@17.0.15)":                   "java.lang.String",
		"sun.net.httpserver.ServerImpl (jdk.httpserver@17.0.15)": "sun.net.httpserver.ServerImpl",
		"java.lang.String (java.base)":                           "java.lang.String",
		"java.lang.String":                                       "java.lang.String",
		"[B (java.base@17.0.15)":                                 "byte[]",
		"[B":                                                     "byte[]",
		"[C":                                                     "char[]",
		"[I":                                                     "int[]",
		"[J":                                                     "long[]",
		"[S":                                                     "short[]",
		"[Z":                                                     "boolean[]",
		"[F":                                                     "float[]",
		"[D":                                                     "double[]",
		"[Ljava.lang.String;":                                    "java.lang.String[]",
		"[[I":                                                    "int[][]",
		"[[Ljava.lang.Object;":                                   "java.lang.Object[][]",
		"[Ljava.util.HashMap$Node; (java.base@17.0.15)": "java.util.HashMap.Node[]",
		"LeakSvc$Session":                      "LeakSvc.Session",
		"java.util.HashMap$Node":               "java.util.HashMap.Node",
		"Outer$1":                              "Outer$1",
		"Outer$Inner$1":                        "Outer.Inner$1",
		"Outer$1Local":                         "Outer$1Local",
		"Outer$1$Inner":                        "Outer$1.Inner",
		"LeakSvc$$Lambda$5/0x00007f70a0000a08": "LeakSvc$$Lambda$5",
		"java.time.format.DateTimeFormatter$$Lambda$8/0x80000000c (java.base@17.0.15)": "java.time.format.DateTimeFormatter$$Lambda$8",
		"java.nio.channels.spi.SelectorProvider$Holder$$Lambda$1/0x00007f70a0046d78":   "java.nio.channels.spi.SelectorProvider.Holder$$Lambda$1",
		"Foo$$Lambda/0x000001000a0b0c00":                                               "Foo$$Lambda",
		"java.lang.invoke.LambdaForm$MH/0x0000000800c0c000":                            "java.lang.invoke.LambdaForm.MH",
		"[LFoo$$Lambda$5/0x00007f70a0000a08;":                                          "Foo$$Lambda$5[]",
		"jdk.proxy1.$Proxy12 (jdk.proxy1)":                                             "jdk.proxy1.$Proxy12",
		"com.sun.proxy.$Proxy7":                                                        "com.sun.proxy.$Proxy7",
		"scala.collection.immutable.$colon$colon":                                      "scala.collection.immutable.$colon$colon",
		"Foo$$Lambda$1/1831932724":                                                     "Foo$$Lambda$1",
		"a.b.Outer$Inner/123":                                                          "a.b.Outer.Inner/123",
		"com.example.Svc$$EnhancerByCGLIB$$1a2b$Inner":                                 "com.example.Svc$$EnhancerByCGLIB$$1a2b$Inner",
		"<methodKlass>":      "<methodKlass>",
		"<constMethodKlass>": "<constMethodKlass>",
		"scala.None$":        "scala.None$",
		// Not descriptors nor addresses: as printed.
		"[Q":        "[Q",
		"[Lfoo":     "[Lfoo",
		"[L;":       "[L;",
		"Foo/0xzz":  "Foo/0xzz",
		"(module)":  "(module)",
		"  Padded ": "Padded",
	} {
		got := JavaClassName(raw)
		if got != want {
			t.Errorf("JavaClassName(%q) = %q, want %q", raw, got, want)
		}
		if again := JavaClassName(got); again != got {
			t.Errorf("JavaClassName(%q) = %q, not a fixed point", got, again)
		}
	}
}

func TestJVMInternal(t *testing.T) {
	for class, want := range map[string]bool{
		"<methodKlass>":                                  true,
		"<constantPoolCacheKlass>":                       true,
		"java.lang.invoke.MemberName":                    true,
		"java.lang.invoke.MethodType":                    true,
		"java.lang.invoke.LambdaForm.MH":                 true,
		"java.lang.invoke.LambdaForm.Name[]":             true,
		"jdk.internal.reflect.GeneratedMethodAccessor12": true,
		"jdk.internal.reflect.DelegatingClassLoader":     true,
		"sun.reflect.GeneratedConstructorAccessor3":      true,
		"jdk.vm.ci.meta.JavaKind":                        true,
		"jdk.graal.compiler.nodes.StructuredGraph":       true,
		"org.graalvm.compiler.graph.Node[]":              true,
		"jdk.internal.vm.compiler.word.WordBase":         true,
		"java.lang.Class":                                false,
		"java.lang.Class[]":                              false,
		"java.lang.String":                               false,
		"java.lang.invokeX.Foo":                          false,
		"LeakSvc$$Lambda$5":                              false,
		"LeakSvc.Session":                                false,
		"byte[]":                                         false,
		"<>":                                             false,
	} {
		if got := JVMInternal(class); got != want {
			t.Errorf("JVMInternal(%q) = %v, want %v", class, got, want)
		}
	}
}

func TestJVMMalformedInputNamesFileAndLine(t *testing.T) {
	const head = "123:\n num     #instances         #bytes  class name (module)\n-------------------\n"
	for in, want := range map[string]string{
		head + "   1:   three   40  Foo\n":                                 "a.txt:4: #instances \"three\": not a whole number ≥ 0",
		head + "   1:   3   -40  Foo\n":                                    "a.txt:4: #bytes \"-40\": not a whole number ≥ 0",
		head + "   1:   3   4,000  Foo\n":                                  "a.txt:4: #bytes \"4,000\": not a whole number ≥ 0",
		head + "   1:   3   40\n":                                          "a.txt:4: want instances, bytes and a class name",
		head + "   x:   3   40  Foo\n":                                     "a.txt:4: want \"N: INSTANCES BYTES CLASS\"",
		head + "   1    3   40  Foo\n":                                     "a.txt:4: want \"N: INSTANCES BYTES CLASS\"",
		head + "   1:   3   40  Foo\nTotal 3\n":                            "a.txt:5: total line \"Total 3\"",
		head + "   1:   3   40  Foo\nTotal 3 lots\n":                       "a.txt:5: total bytes \"lots\"",
		head + "   1:   3   40  Foo\nTotal 3 40\n" + head:                  "a.txt:7: a second class histogram (the first at line 2): one histogram per file",
		head + "   1:   3   40  Foo\n" + head[5:]:                          "a.txt:5: a second class histogram (the first at line 2)",
		head + "   1:   3   40  Foo\nTotal 3 40\ngoroutine 1 [running]:\n": "a.txt:6: \"goroutine 1 [running]:\" after the class histogram",
		"just some text\n":                                                 "a.txt: no class histogram (a line \"num #instances #bytes class name\"",
		"":                                                                 "a.txt: no class histogram",
		head + "   1:   3   40  " + strings.Repeat("X", 2<<20) + "\n":      "a.txt:4: a line over 1 MiB",
	} {
		_, err := ParseJVMHistogram("a.txt", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.200q: err = %v, want %q", in, err, want)
		}
	}
}

func TestJVMCRLFAndBOM(t *testing.T) {
	in := "\ufeff num     #instances         #bytes  class name\r\n----\r\n   1:   3   40  LeakSvc$Session\r\n   2:   1   16  [I\r\nTotal 4 56\r\n"
	h, err := ParseJVMHistogram("a.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Classes) != 2 || h.Classes[0].Class != "LeakSvc.Session" || h.Classes[1].Class != "int[]" || h.TotalObjects != 4 || h.TotalBytes != 56 {
		t.Errorf("got %+v", h)
	}
	if Sniff([]byte(in)) != JVMHistogram {
		t.Errorf("sniffed %v", Sniff([]byte(in)))
	}
	// No Total line: cut off (jcmd and jmap always print it), an error
	// naming the last line read; the rows so far are kept.
	h, err = ParseJVMHistogram("a.txt", strings.NewReader(" num #instances #bytes class name\n 1: 3 40 Foo\n 2: 1 16 Bar\n"))
	if err == nil || err.Error() != `a.txt:3: the histogram ends without its "Total" line: cut off?` || len(h.Classes) != 2 {
		t.Errorf("got %+v, %v", h, err)
	}
}

func TestSniffJVM(t *testing.T) {
	for _, p := range []string{"jcmd-17-startup.txt", "jcmd-17-loaded.txt", "jmap-17-histo-live.txt", "jdk8-jmap-handwritten.txt"} {
		b, err := os.ReadFile("testdata/jvm/" + p)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(b); got != JVMHistogram {
			t.Errorf("%s: %v", p, got)
		}
	}
	if JVMHistogram.String() != "JVM class histogram" {
		t.Errorf("String() = %q", JVMHistogram.String())
	}
	// The other formats are still told apart from it.
	for in, want := range map[string]Format{
		"MT Count TotalSize Class Name\n7ff0 3 40 X\n":          SOSStat,
		"goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n": Goroutines,
		"num instances bytes class name\n":                      Unknown,
	} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestHistogramValues(t *testing.T) {
	h := parseJVMFile(t, "testdata/jvm/jdk8-jmap-handwritten.txt")
	got := map[string]float64{}
	left := h.Values(func(kind, class string, v float64) { got[kind+":"+class] += v })
	if got["heap.bytes:LeakSvc.Session"] != 128064+480 || got["heap.objects:LeakSvc.Session"] != 2011 {
		t.Errorf("LeakSvc.Session: %v bytes, %v objects", got["heap.bytes:LeakSvc.Session"], got["heap.objects:LeakSvc.Session"])
	}
	for sym := range got {
		if strings.Contains(sym, "Klass>") || strings.Contains(sym, "sun.reflect") {
			t.Errorf("internal class emitted: %s", sym)
		}
	}
	want := ClassTotals{Classes: 7, Objects: 21035 + 21035 + 1879 + 30174 + 1879 + 1600 + 120, Bytes: 2913216 + 2533656 + 2135856 + 1795896 + 1311808 + 1206336 + 5760}
	if left != want {
		t.Errorf("left out %+v, want %+v", left, want)
	}
	// SOS: Free is not objects, and its rows are never internal.
	s := parseFile(t, "testdata/sos/windbg-1.log")
	got = map[string]float64{}
	if left := s.Values(func(kind, class string, v float64) { got[kind+":"+class] += v }); left != (ClassTotals{}) {
		t.Errorf("SOS left out %+v", left)
	}
	if _, ok := got["heap.bytes:Free"]; ok || got["heap.objects:MyService.Session"] != 1200 {
		t.Errorf("SOS values %v", got)
	}
}

func FuzzParseJVMHistogram(f *testing.F) {
	for _, p := range []string{"jcmd-17-startup.txt", "jmap-17-histo-live.txt", "jdk8-jmap-handwritten.txt"} {
		b, err := os.ReadFile("testdata/jvm/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := ParseJVMHistogram("fuzz.txt", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		for i, c := range h.Classes {
			if c.Count < 0 || c.Bytes < 0 || c.Class == "" {
				t.Errorf("row %d: %+v", i, c)
			}
			if c.Internal != JVMInternal(c.Class) {
				t.Errorf("row %d: %+v: Internal is not JVMInternal", i, c)
			}
		}
		for _, line := range strings.Split(in, "\n") {
			name := JavaClassName(line)
			if again := JavaClassName(name); again != name {
				t.Errorf("JavaClassName(%q) = %q, then %q", line, name, again)
			}
		}
	})
}

func TestLibraryClass(t *testing.T) {
	for class, want := range map[string]bool{
		"byte[]": true, "int[][]": true, "java.lang.String": true, "java.util.HashMap.Node[]": true,
		"javax.net.ssl.SSLSession": true, "jdk.internal.misc.Unsafe": true, "sun.nio.ch.SocketChannelImpl": true,
		"com.sun.net.httpserver.Headers": true, "System.String": true, "System.Byte[]": true,
		"Microsoft.Extensions.Logging.Logger": true,
		"com.acme.Session":                    false, "com.acme.Session[]": false, "MyService.Session": false,
		"LeakSvc$$Lambda$5": false, "javalin.Context": false, "com.sunrise.Order": false, "Systematic.Thing": false,
	} {
		if got := LibraryClass(class); got != want {
			t.Errorf("LibraryClass(%q) = %v, want %v", class, got, want)
		}
	}
}
