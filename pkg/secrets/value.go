package secrets

// Value is a resolved secret. Its String, GoString and Format methods print a
// placeholder, so that a Value that slips into a log line or an error message
// does not reveal itself; use Bytes or Reveal deliberately.
type Value struct {
	data []byte
}

// NewValue wraps b (not copied).
func NewValue(b []byte) Value { return Value{data: b} }

// Bytes returns the secret bytes.
func (v Value) Bytes() []byte { return v.data }

// Reveal returns the secret as a string.
func (v Value) Reveal() string { return string(v.data) }

// Len returns the length of the secret in bytes.
func (v Value) Len() int { return len(v.data) }

// String returns a placeholder, never the secret.
func (v Value) String() string { return "[redacted]" }

// GoString returns a placeholder, never the secret.
func (v Value) GoString() string { return "secrets.Value{[redacted]}" }
