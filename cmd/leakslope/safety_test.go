package main

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// --out and --json are checked before anything runs: a link, a directory
// others can write, a file for --out or a directory for --json is exit 2
// with one message naming the flag, and nothing is written through it.
func TestOutputPathsAreCheckedFirst(t *testing.T) {
	tmp := t.TempDir()
	victim := filepath.Join(tmp, "victim")
	os.Mkdir(victim, 0o755)
	link := filepath.Join(tmp, "link")
	os.Symlink(victim, link)
	open := filepath.Join(tmp, "open")
	os.Mkdir(open, 0o755)
	os.Chmod(open, 0o777)
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, nil, 0o644)
	dir := filepath.Join(tmp, "dir")
	os.Mkdir(dir, 0o755)
	dumps := []string{"testdata/dumps/dumpheap-1.log", "testdata/dumps/dumpheap-2.log", "testdata/dumps/dumpheap-3.log"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"out link", []string{"--out", link}, "analyze: --out: " + link + " is a symbolic link"},
		{"out open", []string{"--out", open}, "analyze: --out: " + open + " is writable by all users (mode 0777)"},
		{"out file", []string{"--out", file}, "analyze: --out " + file + ": not a directory"},
		{"json dir", []string{"--json", dir}, "analyze: --json: " + dir + " is a directory"},
		{"json through a link", []string{"--json", filepath.Join(link, "r.json")}, "analyze: --json: " + link + " is a symbolic link"},
		{"json in an open dir", []string{"--json", filepath.Join(open, "r.json")}, "analyze: --json: " + open + " is writable by all users"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := cli(t, append(append([]string{"analyze"}, c.args...), dumps...)...)
			if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "leakslope: "+c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line: %q", code, stdout, stderr, c.want)
			}
		})
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}

	// Safe paths work, and --json is a fresh file, not a link's target.
	out := filepath.Join(tmp, "out")
	os.Symlink(filepath.Join(victim, "report.json"), filepath.Join(tmp, "r.json"))
	_, stderr, code := cli(t, append([]string{"analyze", "--out", out, "--json", filepath.Join(tmp, "r.json")}, dumps...)...)
	if code == exitUsage || code == exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(filepath.Join(tmp, "r.json")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("--json: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
		t.Error(err)
	}
	if ents, _ := os.ReadDir(victim); len(ents) != 0 {
		t.Errorf("written through the link: %v", ents)
	}
}

// A missing file among good ones is like a malformed one: the good ones
// are trended and shown, and the exit is 2 naming it; --max-input bounds
// each file.
func TestAnalyzeKeepsTheReportOfTheGoodFiles(t *testing.T) {
	dumps := []string{"testdata/dumps/dumpheap-1.log", "testdata/dumps/dumpheap-2.log", "testdata/dumps/dumpheap-3.log",
		"testdata/dumps/dumpheap-4.log", "testdata/dumps/dumpheap-5.log", "testdata/dumps/dumpheap-6.log"}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", append(slices.Clone(dumps), "testdata/dumps/nope.log"), "analyze: testdata/dumps/nope.log: no such file or directory"},
		{"too large", append([]string{"--max-input", "1KiB", "testdata/dumps/goroutines-1.txt"}, dumps...), "analyze: testdata/dumps/goroutines-1.txt is over the 1 KiB limit of an input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := cli(t, append([]string{"analyze", "--out", t.TempDir()}, c.args...)...)
			if code != exitUsage || !strings.Contains(stdout, "MyService.Session") || !strings.HasPrefix(stderr, "leakslope: "+c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q, want 2 and %q after the report of the rest:\n%s", code, stderr, c.want, stdout)
			}
		})
	}
	_, stderr, code := cli(t, "analyze", "--max-input", "lots", dumps[0])
	if code != exitUsage || !strings.Contains(stderr, `invalid value "lots" for flag -max-input: "lots": not a size`) {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

// A password in the URL and secret-looking query values are shown and
// stored redacted: on stdout and stderr, in report.json and report.html,
// in the op errors that name the URL.
func TestSecretsInTheURLAreRedacted(t *testing.T) {
	url, svc := goService(t)
	secret := strings.Replace(url, "http://", "http://u:hunter2@", 1) + "/nosuchpath?api_key=SECRETKEY&n=1"
	dir := t.TempDir()
	stdout, stderr, code := cli(t, "hammer", "--pid", strconv.Itoa(svc.Process.Pid), "--max-duration", "3s", "--min-ops", "500",
		"--out", dir, "--json", filepath.Join(dir, "r.json"), secret)
	if code == exitUsage {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	shown := map[string]string{"stdout": stdout, "stderr": stderr}
	for _, f := range []string{"report.json", "report.html", "r.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		shown[f] = string(b)
	}
	for where, text := range shown {
		if strings.Contains(text, "hunter2") || strings.Contains(text, "SECRETKEY") {
			t.Errorf("a secret in %s:\n%s", where, text)
		}
	}
	// The op errors (404s) are there, naming the URL redacted.
	if !strings.Contains(stdout, "api_key=REDACTED") || !strings.Contains(stdout, "u:REDACTED@") {
		t.Errorf("no redacted URL in the report:\n%s\n%s", stdout, stderr)
	}
}

// A name from a dump with an escape sequence in it reaches the terminal
// as text, not as a command to it.
func TestControlCharactersNeverReachTheTerminal(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 1; i <= 6; i++ {
		f := filepath.Join(dir, strconv.Itoa(i)+".log")
		text := "MT Count TotalSize Class Name\n" +
			"7ff0 " + strconv.Itoa(1000*i) + " " + strconv.Itoa(48000*i) + " Evil\x1b]0;pwned\x07\x1b[2J\n"
		os.WriteFile(f, []byte(text), 0o644)
		files = append(files, f)
	}
	stdout, stderr, code := cli(t, append([]string{"analyze", "--out", t.TempDir()}, files...)...)
	if code != exitLeak {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if strings.ContainsAny(stdout+stderr, "\x1b\x07") || !strings.Contains(stdout, `Evil\x1b]0;pwned\x07\x1b[2J`) {
		t.Errorf("control characters on the terminal, or the name not shown escaped:\n%q", stdout)
	}
}
