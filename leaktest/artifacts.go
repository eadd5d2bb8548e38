package leaktest

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"github.com/leakslope/leakslope/internal/safedir"
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
	dir      *safedir.Dir // nil when none could be opened (a warning says why)
	paths    map[string]string
	warnings []string
}

// newArtifacts opens the directory: the ArtifactsDir option as given; or
// NAME under LEAKSLOPE_ARTIFACTS / -leakslope.artifacts; or NAME under
// this user's private $TMPDIR/leakslope-UID. Each run overwrites its
// NAME's files, so disk use stays bounded and the path stays predictable.
//
// No directory another user could redirect, read or replace is written
// to (see internal/safedir): one the user named is an error that stops
// the run before it starts; the default, pre-created by someone else, is
// replaced by a fresh private directory, with a warning.
func newArtifacts(c *config, name string) (*artifacts, error) {
	a := &artifacts{paths: map[string]string{}}
	var err error
	switch {
	case c.artifacts == "":
		var root *safedir.Dir
		if root, err = safedir.Open(safedir.UserRoot(), true); err == nil {
			defer root.Close()
			a.dir, err = root.Sub(sanitize(name), true)
		}
		if err != nil {
			// The default is ours to choose: a fresh private directory.
			tmp, terr := os.MkdirTemp("", "leakslope-"+sanitize(name)+"-")
			if terr == nil {
				if a.dir, terr = safedir.Open(tmp, true); terr != nil {
					os.Remove(tmp)
				}
			}
			if terr != nil {
				a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %v; and no private directory could be made: %v", err, terr))
				return a, nil
			}
			a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %v: this run's are in %s", err, a.dir.Path))
			err = nil
		}
	case c.artifactsIsRoot:
		var root *safedir.Dir
		if root, err = safedir.Open(c.artifacts, false); err == nil {
			defer root.Close()
			a.dir, err = root.Sub(sanitize(name), false)
		}
	default:
		a.dir, err = safedir.Open(c.artifacts, false)
	}
	if err != nil {
		return nil, fmt.Errorf("artifacts directory: %w", err)
	}
	return a, nil
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
	if len(s) > 100 {
		// A name past a file name's limit: its start and a hash of all.
		return fmt.Sprintf("%s-%08x", s[:90], crc32.ChecksumIEEE([]byte(name)))
	}
	return s
}

// write creates file in the directory afresh, fills it, closes it and
// lists it under key; any failure is a warning and the key is not listed.
func (a *artifacts) write(key, file string, fill func(io.Writer) error) {
	if a.dir == nil {
		return
	}
	f, err := a.dir.Create(file)
	if err != nil {
		a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %s: %v", file, err))
		return
	}
	a.paths[key] = filepath.Join(a.dir.Path, file)
	err = fill(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		delete(a.paths, key)
		a.warnings = append(a.warnings, fmt.Sprintf("artifacts: %s: %v", file, err))
	}
}

// close releases the directory once the run's files are written.
func (a *artifacts) close() {
	if a.dir != nil {
		a.dir.Close()
		a.dir = nil
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
