package main

import (
	"bytes"
	"io"
	"os"
	"sync"

	"github.com/leakslope/leakslope/internal/clean"
)

// progress shows leaktest's progress lines: on a terminal one line
// rewritten in place, elsewhere (CI logs) plain lines.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	pending bool // a line is on the terminal without its newline
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(b)
	b = []byte(clean.Terminal(string(b))) // symbols come from outside
	if !p.tty {
		if _, err := p.w.Write(b); err != nil {
			return 0, err
		}
		return n, nil
	}
	for _, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		// Carriage return and erase-line: the newest state replaces the last.
		io.WriteString(p.w, "\r\x1b[K")
		p.w.Write(line)
		p.pending = true
	}
	return n, nil
}

// done ends a terminal's progress line so the report starts on its own.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending {
		io.WriteString(p.w, "\n")
		p.pending = false
	}
}
