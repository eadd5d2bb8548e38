package probe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/process"

	"github.com/leakslope/leakslope/internal/units"
	"github.com/leakslope/leakslope/leaktest"
)

// JVM is a probe of a running Java virtual machine by pid: at each
// snapshot it runs the JDK's `jcmd PID GC.class_histogram` (jcmd from
// PATH, else $JAVA_HOME/bin) and gives heap.bytes:CLASS and
// heap.objects:CLASS, every class's live instances and their bytes, and
// runtime.heap.bytes, the live heap's total (a chart: it has no default
// budget). The histogram is exact — the JVM runs a full collection first
// — so a clean class is flat and the default budgets of 0 B/op hold; the
// collection pauses the JVM, which the run's snapshot schedule accounts
// for (Report.SnapshotTime).
//
// Classes are named as Java source names them: com.acme.Session,
// byte[] for [B, java.util.HashMap.Node for java.util.HashMap$Node,
// lambdas without their per-process address; the module suffix
// ("(java.base@17.0.15)") is dropped. The JVM's own machinery — method
// handles' and lambda forms' classes (java.lang.invoke), generated
// reflection accessors (jdk.internal.reflect), a Java JIT's (JVMCI,
// Graal) — is not trended: it grows as code paths are first linked and
// compiled, which is the JVM working, not the service leaking, as
// leakslope's own allocations are not symbols in Go. The report says how
// much was left out. java.lang.Class is kept: a class-loader leak shows
// there alone.
//
// The process's resident set is not read: a JVM's grows towards its
// maximum heap (-Xmx) by design, leak or not. Add Process(pid) for it,
// with a budget that allows that growth; the report then says why.
//
// jcmd must run as the JVM's user. Its attach sends SIGQUIT, which kills
// most programs: a pid that is not a JVM (on Linux: maps no libjvm.so;
// elsewhere: `jcmd -l` does not list it) is refused at Start, as is one
// when no jcmd is found, and before every snapshot the pid is checked to
// be the same process (a JVM that exited may leave its pid to another). A
// JVM that exits, or a jcmd that fails or
// runs past CommandTimeout, fails the snapshot with an error naming the
// command, which ends the run with the report so far.
func JVM(pid int, opts ...CommandOption) leaktest.Probe {
	p := newCommandProbe(fmt.Sprintf("jvm %d", pid), opts)
	p.pid = pid
	p.jvm = &jvmProbeInfo{}
	p.start = startJVM
	return p
}

// jvmProbeInfo is what a JVM probe knows of its JVM beyond histograms.
type jvmProbeInfo struct {
	maxHeap int64 // -XX:MaxHeapSize, when VM.flags gave it
	created int64 // the process's creation time, ms since the epoch
}

func startJVM(ctx context.Context, p *commandProbe) error {
	if p.pid <= 0 || int64(p.pid) > 1<<31-1 {
		return fmt.Errorf("pid %d: not a process id", p.pid)
	}
	jcmd, err := findJcmd()
	if err != nil {
		return err
	}
	pid := strconv.Itoa(p.pid)
	// jcmd is a Java program: most of a snapshot's ~0.4 s is its own JVM
	// starting. These flags make that JVM start cheaper, with one compiler
	// thread's worth of work and no hsperfdata file of its own.
	lean := append([]string{jcmd}, "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData")
	jcmdArgs := func(args ...string) func(context.Context) *exec.Cmd {
		argv := append(append([]string(nil), lean...), args...)
		return func(ctx context.Context) *exec.Cmd { return newCommand(ctx, argv) }
	}
	if err := isJVM(ctx, p.pid, jcmdArgs("-l"), p.timeout); err != nil {
		return err
	}
	if err := p.jvm.remember(ctx, p.pid); err != nil {
		return err
	}
	p.argv = append(append([]string(nil), lean...), pid, "GC.class_histogram")
	p.shown = "jcmd " + pid + " GC.class_histogram"
	// The maximum heap, for the resident set's warning: best effort. A
	// JVM that cannot answer fails the first snapshot, before the hammer.
	if out, err := runCommand(ctx, jcmdArgs(pid, "VM.flags"), "jcmd "+pid+" VM.flags", min(p.timeout, 30*time.Second), 1<<20); err == nil {
		p.jvm.maxHeap = maxHeapSize(out)
	}
	return nil
}

// isJVM refuses a pid that is not a running JVM, before jcmd's attach
// sends it SIGQUIT. On Linux a JVM maps libjvm.so; elsewhere jcmd -l,
// which reads the JVMs' performance-data files and signals no one, must
// list it.
func isJVM(ctx context.Context, pid int, list func(context.Context) *exec.Cmd, timeout time.Duration) error {
	if runtime.GOOS != "linux" {
		out, err := runCommand(ctx, list, "jcmd -l", min(timeout, 30*time.Second), 1<<20)
		if err != nil {
			return err
		}
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) > 0 && f[0] == strconv.Itoa(pid) {
				return nil
			}
		}
		return fmt.Errorf("process %d is not a JVM that `jcmd -l` lists (started with -XX:-UsePerfData, or another user's?), and jcmd's attach would send it SIGQUIT", pid)
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("process %d is not running", pid)
	case err != nil:
		// Another user's process: jcmd could not attach to it either.
		return fmt.Errorf("process %d: %v (jcmd must run as the JVM's user)", pid, err)
	case !bytes.Contains(maps, []byte("/libjvm.so")):
		return fmt.Errorf("process %d is not a JVM (it maps no libjvm.so), and jcmd's attach would send it SIGQUIT", pid)
	}
	return nil
}

// remember notes when the JVM's process was created, which same checks
// before every jcmd.
func (j *jvmProbeInfo) remember(ctx context.Context, pid int) error {
	proc, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return fmt.Errorf("process %d is not running", pid)
	}
	if j.created, err = proc.CreateTimeWithContext(ctx); err != nil {
		return fmt.Errorf("process %d: %v", pid, err)
	}
	return nil
}

// same says whether pid is still the JVM Start checked: a JVM that exited
// may have left its pid to another process, which jcmd's SIGQUIT would
// kill.
func (j *jvmProbeInfo) same(ctx context.Context, pid int) error {
	proc, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return fmt.Errorf("the JVM %d is not running (it exited)", pid)
	}
	if created, err := proc.CreateTimeWithContext(ctx); err != nil || created != j.created {
		return fmt.Errorf("the JVM %d is not running (it exited; its pid is another process's now, and jcmd is not run at it)", pid)
	}
	return nil
}

// findJcmd finds the JDK's jcmd: on PATH, else in $JAVA_HOME/bin.
func findJcmd() (string, error) {
	if path, err := exec.LookPath("jcmd"); err == nil {
		return path, nil
	}
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if path, err := exec.LookPath(filepath.Join(home, "bin", "jcmd")); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("jcmd is not on PATH or in $JAVA_HOME/bin: a JDK's jcmd reads the class histogram (Debian: openjdk-17-jdk-headless)")
}

// maxHeapSize reads -XX:MaxHeapSize=N from `jcmd PID VM.flags`; 0 when
// absent.
func maxHeapSize(flags []byte) int64 {
	for _, f := range strings.Fields(string(flags)) {
		if v, ok := strings.CutPrefix(f, "-XX:MaxHeapSize="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// warnings says, when the run also read a resident set, why its budget
// matters for a JVM.
func (j *jvmProbeInfo) warnings(rep *leaktest.Report) []string {
	budget := ""
	read := false
	for _, v := range rep.Verdicts {
		if v.Symbol == leaktest.SymProcessRSS {
			read, budget = true, " ("+v.Budget.String()+")"
		}
	}
	for _, s := range rep.Snapshots {
		_, ok := s.Values[leaktest.SymProcessRSS]
		read = read || ok
	}
	if !read {
		return nil
	}
	max := "its maximum heap (-Xmx)"
	if j.maxHeap > 0 {
		max = fmt.Sprintf("its maximum heap (-XX:MaxHeapSize=%s here)", units.Bytes(float64(j.maxHeap)))
	}
	return []string{fmt.Sprintf("process.rss of a JVM grows towards %s as the collector sizes and touches the heap, leak or not: its budget%s must allow that growth, or a clean service fails; the classes' heap.bytes, read after a full collection, are what find a leak", max, budget)}
}
