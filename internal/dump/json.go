package dump

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// DecodeJSON decodes data, read from name, into v. An error names the
// file and, for malformed JSON, the line: "report.json:3: not a
// leakslope report: invalid character …", what being "leakslope report".
// strict refuses fields v does not have.
func DecodeJSON(name, what string, data []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return fmt.Errorf("%s:%d: not a %s: %v", name, line, what, err)
		}
		return fmt.Errorf("%s: not a %s: %v", name, what, err)
	}
	return nil
}
