package sopsfile

import (
	"strconv"
	"time"
)

// Mapping is an ordered mapping (a YAML mapping, a JSON object, the lines of
// a dotenv file, an INI file's sections or a section's keys). Comment lines
// are items with Comment set, an empty Key and a nil Value; they are kept
// where the format has them, so that Plaintext can re-emit them as sops does.
type Mapping []Item

// Item is one entry of a Mapping.
type Item struct {
	Key     string
	Value   any
	Comment *Comment
}

// List is an ordered sequence. Besides values it may hold Comment entries
// (YAML comments between list items).
type List []any

// Comment is a comment line (without its leading '#'). Inline comments
// followed a value on the same line.
type Comment struct {
	Text   string
	Inline bool
}

// The values in a tree are Mapping, List, nil, or a scalar: string, int,
// float64, bool, time.Time or []byte (the types sops itself produces, so
// that the MAC is computed over the same bytes). A YAML value of another Go
// type (an integer beyond int64, say) is kept as parsed; decrypting a file
// holding one fails, as with sops.

// Get returns the value of the first item with the key.
func (m Mapping) Get(key string) (any, bool) {
	for _, it := range m {
		if it.Comment == nil && it.Key == key {
			return it.Value, true
		}
	}
	return nil, false
}

// Keys returns the keys of the mapping in order, without comments.
func (m Mapping) Keys() []string {
	keys := make([]string, 0, len(m))
	for _, it := range m {
		if it.Comment == nil {
			keys = append(keys, it.Key)
		}
	}
	return keys
}

// Items returns the entries of the list without comments.
func (l List) Items() []any {
	items := make([]any, 0, len(l))
	for _, v := range l {
		if _, ok := v.(Comment); !ok {
			items = append(items, v)
		}
	}
	return items
}

// ScalarText returns the text of a scalar the way sops computes it for the
// MAC (and the way a secret is usually wanted): strings as they are, ints in
// decimal, floats in the shortest 'f' form, bools as "true"/"false" (not
// sops's MAC spelling "True"/"False"), times in RFC 3339. ok is false for
// mappings, lists, comments and nil.
func ScalarText(v any) (text string, ok bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case []byte:
		return string(x), true
	case time.Time:
		b, err := x.MarshalText()
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}
