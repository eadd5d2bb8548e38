// Package histtest writes recorded class histograms and a command that
// replays them, one per call, for the tests of probe.Histogram and the
// CLI's --histogram: the .NET path, tested without .NET. Tests only.
package histtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// SOS writes n `!dumpheap -stat` outputs of a .NET service into dir,
// as dotnet-dump and WinDbg print them, in turns: MyService.Session grows
// by 40 objects a dump when leak, the rest stay flat. The replay command
// that prints them one per call, the last again past the end, is
// returned; call k, it records the arguments it was given in dir/args.
func SOS(t *testing.T, dir string, n int, leak bool) string {
	t.Helper()
	for i := 1; i <= n; i++ {
		sessions := 1530
		if leak {
			sessions += 40 * i
		}
		var b strings.Builder
		if i%2 == 0 {
			// dotnet-dump analyze's layout: thousands separated, a byte total.
			fmt.Fprintf(&b, "Loading core dump: /tmp/svc.dmp ...\nReady to process analysis commands.\n> dumpheap -stat\nStatistics:\n          MT   Count TotalSize Class Name\n")
			fmt.Fprintf(&b, "7ffb5f4b1a58       1        24 System.Collections.Generic.GenericEqualityComparer<System.String>\n")
			fmt.Fprintf(&b, "7ffb5f3e9b20 %7s %9s MyService.Session\n", group(sessions), group(sessions*48))
			fmt.Fprintf(&b, "000001d3f5a0 %7s %9s Free\n", group(47+i%3), group(2586+i%3*24))
			fmt.Fprintf(&b, "7ffb5f3cd1e8   2,061   132,518 System.String\n")
			fmt.Fprintf(&b, "Total %s objects, %s bytes\n> exit\n", group(sessions+2062+47+i%3), group(sessions*48+132542+2586+i%3*24))
		} else {
			// WinDbg's: plain numbers, a total of objects only.
			fmt.Fprintf(&b, "0:000> !dumpheap -stat\nStatistics:\n              MT    Count    TotalSize Class Name\n")
			fmt.Fprintf(&b, "00007ffa1b2c0010        1           24 System.Collections.Generic.GenericEqualityComparer<System.String>\n")
			fmt.Fprintf(&b, "00007ffa0c4d7e30 %8d %12d MyService.Session\n", sessions, sessions*48)
			fmt.Fprintf(&b, "00007ffa1b2c1a28     2061       132518 System.String\n")
			fmt.Fprintf(&b, "Total %d objects\n", sessions+2062)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("dumpheap-%d.log", i)), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return Replay(t, dir, "dumpheap-%d.log", n, "")
}

// Replay writes a script into dir that prints file name (a printf format
// of the call's number) per call, the last again past n; at call fail, it
// runs fail instead. It records its arguments in dir/args.
func Replay(t *testing.T, dir, name string, n int, fail string) string {
	t.Helper()
	script := fmt.Sprintf(`d=%q
echo "$*" > "$d/args"
k=$(cat "$d/calls" 2>/dev/null || echo 0); k=$((k+1)); echo $k > "$d/calls"
%s
[ $k -le %d ] || k=%d
cat "$d/$(printf %q $k)"
`, dir, fail, n, n, name)
	path := filepath.Join(dir, "replay.sh")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	return "sh " + path
}

func group(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
