package dump

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func parseFile(t *testing.T, path string) *ClassHistogram {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ParseDumpheapStat(filepath.Base(path), f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseWinDbgDumpheapStat(t *testing.T) {
	d := parseFile(t, "testdata/sos/windbg-1.log")
	if len(d.Classes) != 5 || d.TotalObjects != 1258 || d.TotalBytes != -1 {
		t.Fatalf("got %+v", d)
	}
	want := ClassStat{MT: "00007ffa1b2c3f88", Count: 3, Bytes: 312, Class: "System.Collections.Generic.Dictionary`2[[System.String, mscorlib],[System.Object, mscorlib]]"}
	if d.Classes[2] != want {
		t.Errorf("generic class row = %+v, want %+v", d.Classes[2], want)
	}
	if d.Classes[3].Class != "Free" || d.Classes[4] != (ClassStat{MT: "00007ffa0c4d7e30", Count: 1200, Bytes: 57600, Class: "MyService.Session"}) {
		t.Errorf("rows = %+v", d.Classes)
	}
}

func TestParseDotnetDumpWithSeparators(t *testing.T) {
	d := parseFile(t, "testdata/sos/dotnet-dump-1.log")
	if len(d.Classes) != 3 || d.TotalObjects != 3592 || d.TotalBytes != 205982 {
		t.Fatalf("got %+v", d)
	}
	if d.Classes[1] != (ClassStat{MT: "7ffb5f3e9b20", Count: 1530, Bytes: 73440, Class: "MyService.Session"}) {
		t.Errorf("row = %+v", d.Classes[1])
	}
}

func TestMalformedInputNamesFileAndLine(t *testing.T) {
	for in, want := range map[string]string{
		"Statistics:\n MT Count TotalSize Class Name\nzz12 3 40 X\n":       "a.log:3: MT \"zz12\" is not a hex address",
		"MT Count TotalSize Class Name\n7ff0 three 40 X\n":                 "a.log:2: Count \"three\": not a whole number ≥ 0",
		"MT Count TotalSize Class Name\n7ff0 3 -40 X\n":                    "a.log:2: TotalSize \"-40\": not a whole number ≥ 0",
		"MT Count TotalSize Class Name\n7ff0 3 40\n":                       "a.log:2: want MT, Count, TotalSize and a class name",
		"MT Count TotalSize Class Name\n7ff0 3 40 X\nTotal lots objects\n": "a.log:3: total line \"Total lots objects\"",
		"just some text\n": "a.log: no `!dumpheap -stat` table",
		// Misreadings that passed silently before.
		"MT Count TotalSize Class Name\n7ff0 3 38400.5 X\n":                                            "a.log:2: TotalSize \"38400.5\": not a whole number ≥ 0",
		"MT Count TotalSize Class Name\n7ff0 3 40 X\nTotal 3 objects\nMT Count TotalSize Class Name\n": "a.log:4: a second `!dumpheap -stat` table (the first at line 1): one dump per file",
		"MT Count TotalSize Class Name\n7ff0 3 40 X\nTotal 3 objects\n\ngoroutine 1 [running]:\n":      "a.log:5: \"goroutine 1 [running]:\" after the `!dumpheap -stat` table: one dump per file",
		"MT Count TotalSize Class Name\n7ff0 3 40 " + strings.Repeat("X", 2<<20) + "\n":                "a.log:2: a line over 1 MiB",
	} {
		_, err := ParseDumpheapStat("a.log", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", in, err, want)
		}
	}
}

// render writes a table back in the WinDbg form, for the round trip.
func render(d *ClassHistogram) string {
	var b bytes.Buffer
	b.WriteString("Statistics:\n              MT    Count    TotalSize Class Name\n")
	for _, c := range d.Classes {
		fmt.Fprintf(&b, "%s %8d %12d %s\n", c.MT, c.Count, c.Bytes, c.Class)
	}
	if d.TotalObjects >= 0 {
		fmt.Fprintf(&b, "Total %d objects\n", d.TotalObjects)
	}
	return b.String()
}

func FuzzParseDumpheapStat(f *testing.F) {
	for _, p := range []string{"testdata/sos/windbg-1.log", "testdata/sos/dotnet-dump-1.log"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseDumpheapStat("fuzz.log", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.log") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		// What parses, written back, parses to the same rows.
		d2, err := ParseDumpheapStat("again.log", strings.NewReader(render(d)))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", render(d), err)
		}
		if len(d2.Classes) != len(d.Classes) {
			t.Fatalf("%d rows, then %d", len(d.Classes), len(d2.Classes))
		}
		for i := range d.Classes {
			if d.Classes[i] != d2.Classes[i] {
				t.Fatalf("row %d: %+v then %+v", i, d.Classes[i], d2.Classes[i])
			}
		}
	})
}
