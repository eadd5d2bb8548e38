package dump

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/leakslope/leakslope/internal/units"
)

// MaxInput is the default bound on one outside input (a dump file, a
// pprof response), as read and once decompressed: a large service's heap
// profile is some MiB, its legacy text tens.
const MaxInput = 256 << 20

// TooLargeError is an input over its bound.
type TooLargeError struct {
	Name         string
	Limit        int64
	Decompressed bool // the bound was passed while inflating gzip
}

func (e *TooLargeError) Error() string {
	what := "is over"
	if e.Decompressed {
		what = "inflates to over"
	}
	return fmt.Sprintf("%s %s the %s limit of an input (--max-input, leaktest.MaxInput)", e.Name, what, units.Bytes(float64(e.Limit)))
}

// ReadAll reads r to its end, up to limit bytes (MaxInput for 0); more is
// a *TooLargeError naming name.
func ReadAll(name string, r io.Reader, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxInput
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return b, nil
}

// gunzip inflates gzipped data, up to limit bytes (MaxInput for 0); data
// that is not gzipped comes back as it is.
func gunzip(name string, data []byte, limit int64) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: gzip: %v", name, err)
	}
	out, err := ReadAll(name, zr, limit)
	if tl, ok := err.(*TooLargeError); ok {
		tl.Decompressed = true
	} else if err != nil {
		return nil, fmt.Errorf("%s: gzip: %v", name, err)
	}
	return out, err
}
