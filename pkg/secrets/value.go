package secrets

import (
	"fmt"
	"io"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// Value is a resolved secret. Its String, GoString and Format methods print a
// placeholder, so that a Value that slips into a log line or an error message
// does not reveal itself; use Bytes or Reveal deliberately.
//
// The bytes are held by a func: fmt does not call the methods of a Value in
// an unexported struct field, nor any method when a verb does not fit, and
// then prints fields by reflection, following pointers to structs and
// slices; a func it only ever prints as an address.
type Value struct {
	bytes func() []byte
}

// NewValue wraps b (not copied).
func NewValue(b []byte) Value { return Value{bytes: func() []byte { return b }} }

// Bytes returns the secret bytes.
func (v Value) Bytes() []byte {
	if v.bytes == nil {
		return nil
	}
	return v.bytes()
}

// Reveal returns the secret as a string.
func (v Value) Reveal() string { return string(v.Bytes()) }

// Len returns the length of the secret in bytes.
func (v Value) Len() int { return len(v.Bytes()) }

// String returns a placeholder, never the secret.
func (v Value) String() string { return diag.Redacted }

// GoString returns a placeholder, never the secret.
func (v Value) GoString() string { return "secrets.Value{" + diag.Redacted + "}" }

// Format prints the placeholder for every verb (%d, %x, %q, ... included).
func (v Value) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, v.GoString())
	case verb == 'q':
		_, _ = fmt.Fprintf(f, "%q", v.String())
	default:
		_, _ = io.WriteString(f, v.String())
	}
}
