package render

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leakslope/leakslope/internal/browser"
)

func TestPageInARealBrowser(t *testing.T) {
	bin := browser.Find(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var b bytes.Buffer
	if err := samplePage().WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := string(browser.Headless(t, bin, "--dump-dom", "file://"+page))
	for want, n := range map[string]int{
		`<svg class="chart"`:                        2,
		`<table id="symbols">`:                      1,
		`<tr class="leak">`:                         1,
		`<polygon class="band"`:                     1,
		`<line class="fit"`:                         2,
		`<circle class="pt warm"`:                   8,
		`heap.bytes:store.(*Store).Put store.go:12`: 4,
	} {
		if got := strings.Count(dom, want); got < n {
			t.Errorf("DOM has %d of %q, want ≥ %d", got, want, n)
		}
	}
	if strings.Contains(dom, "<script>alert") {
		t.Error("the title's script tag reached the DOM")
	}

	shot := filepath.Join(dir, "shot.png")
	browser.Headless(t, bin, "--window-size=900,1100", "--screenshot="+shot, "file://"+page)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colors := map[uint32]bool{}
	inked := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colors[(r>>8)<<16|(g>>8)<<8|bl>>8] = true
			if r < 0xe000 || g < 0xe000 || bl < 0xe000 {
				inked++
			}
		}
	}
	total := (bounds.Dx() / 2) * (bounds.Dy() / 2)
	if len(colors) < 20 || inked < total/50 {
		t.Errorf("screenshot looks blank: %d colours, %d of %d sampled pixels inked", len(colors), inked, total)
	}
}
