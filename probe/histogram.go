package probe

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/leakslope/leakslope/leaktest"
)

// Histogram is a probe of any runtime whose tool prints a class
// histogram: at each snapshot it runs command with the shell (sh -c;
// cmd.exe /S /C on Windows) and
// reads what it prints on stdout, its format told from its content as
// `leakslope analyze` tells a file's — a .NET `!dumpheap -stat` (WinDbg's
// and dotnet-dump's layouts), a JVM's GC.class_histogram or jmap -histo,
// or a pprof heap profile — giving heap.bytes:CLASS and heap.objects:CLASS
// (runtime.heap.bytes from a histogram's total), or a profile's
// allocation sites. "{pid}" in command is replaced by the PID option's
// process id:
//
//	probe.Histogram(`dotnet-dump collect -p {pid} -o /tmp/svc.dmp >/dev/null &&
//	    dotnet-dump analyze /tmp/svc.dmp -c "dumpheap -stat" -c exit`, probe.PID(4242))
//
// A command that exits non-zero, runs past CommandTimeout (its process
// group is killed), prints over CommandMaxOutput, or prints something
// that is not one of these formats fails the snapshot with an error
// naming the command, its exit status and the first offending line, which
// ends the run with the report so far. Such commands take a fraction of a
// second to many: the run's snapshot schedule accounts for it
// (Report.SnapshotTime).
func Histogram(command string, opts ...CommandOption) leaktest.Probe {
	p := newCommandProbe("", opts)
	p.shown = command
	if p.pid > 0 {
		p.shown = strings.ReplaceAll(command, "{pid}", strconv.Itoa(p.pid))
	}
	p.name = fmt.Sprintf("histogram `%s`", p.shown)
	p.line = p.shown
	p.start = func(context.Context, *commandProbe) error {
		switch {
		case strings.TrimSpace(command) == "":
			return fmt.Errorf("histogram: no command")
		case strings.Contains(p.shown, "{pid}"):
			return fmt.Errorf("histogram `%s`: it names {pid}, and no process id is given (probe.PID, --pid)", command)
		}
		return nil
	}
	return p
}
