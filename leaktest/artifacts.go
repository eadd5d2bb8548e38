package leaktest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
)

// Keys of Report.Artifacts (and of report.json's "artifacts").
const (
	ArtifactFirstProfile = "first_profile" // first.pb.gz: the heap profile of the first snapshot after warm-up
	ArtifactLastProfile  = "last_profile"  // last.pb.gz: the last snapshot's
	ArtifactJSON         = "json"          // report.json
	ArtifactHTML         = "html"          // report.html
)

// artifacts writes a run's files. A failure to write is a warning in the
// report, never a lost report.
type artifacts struct {
	dir      string
	paths    map[string]string
	warnings []string
	made     bool
}

// newArtifacts picks the directory: the ArtifactsDir option as given; or
// NAME under LEAKSLOPE_ARTIFACTS / -leakslope.artifacts; or NAME under
// $TMPDIR/leakslope. Each run overwrites its NAME's files, so disk use
// stays bounded and the path stays predictable.
func newArtifacts(c *config, name string) *artifacts {
	dir := c.artifacts
	switch {
	case dir == "":
		dir = filepath.Join(os.TempDir(), "leakslope", sanitize(name))
	case c.artifactsIsRoot:
		dir = filepath.Join(dir, sanitize(name))
	}
	return &artifacts{dir: dir, paths: map[string]string{}}
}

func sanitize(name string) string {
	s := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			return r
		}
		return '_'
	}, name)
	if s == "" || s == "." || s == ".." {
		return "run"
	}
	return s
}

func (a *artifacts) mkdir() bool {
	if a.made {
		return true
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %v", err))
		return false
	}
	a.made = true
	return true
}

// write creates file in the directory, fills it, closes it and lists it
// under key; any failure is a warning and the key is not listed.
func (a *artifacts) write(key, file string, fill func(io.Writer) error) {
	if !a.mkdir() {
		return
	}
	path := filepath.Join(a.dir, file)
	f, err := os.Create(path)
	if err != nil {
		a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %v", err))
		return
	}
	a.paths[key] = path
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		delete(a.paths, key)
		a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %s: %v", file, err))
	}
}

// writeProfile writes the heap profile as of the last snapshot's GC:
// key ArtifactFirstProfile → first.pb.gz, ArtifactLastProfile → last.pb.gz.
func (a *artifacts) writeProfile(key string, ok bool) {
	if !ok {
		return
	}
	file := strings.TrimSuffix(key, "_profile") + ".pb.gz"
	a.write(key, file, func(w io.Writer) error { return pprof.Lookup("heap").WriteTo(w, 0) })
}

// writeJSON writes report.json; rep.Artifacts is the artifacts' own map,
// so the JSON names itself and the profiles.
func (a *artifacts) writeJSON(rep *Report) {
	a.write(ArtifactJSON, "report.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	})
}

// writeBytes writes a profile read from elsewhere (a remote service's).
func (a *artifacts) writeBytes(key, file string, data []byte) {
	a.write(key, file, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
