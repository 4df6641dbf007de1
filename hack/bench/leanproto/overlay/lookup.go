//go:build leanproto

// This file replaces pkg/secrets/lookup.go in the lean prototype build: the
// same lookups and messages over a sopsfile tree.

package secrets

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// Whole returns the whole document as bytes in its own format (for binary
// files: the file's content).
func (d *Document) Whole(file string) (Value, error) {
	if len(d.doc.Branches) != 1 {
		return Value{}, newError(file, ReasonBadValue, "has %d YAML documents; only single-document files are supported", len(d.doc.Branches))
	}
	out, err := d.doc.Plaintext()
	if err != nil {
		return Value{}, newError(file, ReasonBadValue, "cannot be re-emitted as %s", d.format)
	}
	return NewValue(out), nil
}

// Lookup returns the value at a dotted key path: mapping keys by name, list
// items by index; for INI "section.key". A scalar yields its text; a mapping
// or list yields YAML.
func (d *Document) Lookup(file, key string) (Value, error) {
	if !d.format.Structured() {
		return Value{}, newError(file, ReasonKeyNotFound, "is a binary file: it has no keys (remove key, or set format)")
	}
	if len(d.doc.Branches) != 1 {
		return Value{}, newError(file, ReasonBadValue, "has %d YAML documents; only single-document files are supported", len(d.doc.Branches))
	}
	var cur any = d.doc.Branches[0]
	segments := strings.Split(key, ".")
	for i, seg := range segments {
		walked := strings.Join(segments[:i], ".")
		switch node := cur.(type) {
		case sopsfile.Mapping:
			next, ok := node.Get(seg)
			if !ok {
				return Value{}, newError(file, ReasonKeyNotFound, "has no key %q%s (available: %s)", seg, under(walked), branchKeys(node))
			}
			cur = next
		case sopsfile.List:
			items := node.Items()
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(items) {
				return Value{}, newError(file, ReasonKeyNotFound, "%s is a list of %d items; %q is not an index into it", walked, len(items), seg)
			}
			cur = items[idx]
		default:
			return Value{}, newError(file, ReasonKeyNotFound, "%s is a scalar; it has no key %q", walked, seg)
		}
	}
	return scalarOrSubtree(file, key, cur)
}

func branchKeys(m sopsfile.Mapping) string {
	var keys []string
	for _, k := range m.Keys() {
		keys = append(keys, strconv.Quote(k))
	}
	if len(keys) == 0 {
		return "none"
	}
	if len(keys) > 20 {
		keys = append(keys[:20], "...")
	}
	return strings.Join(keys, ", ")
}

func under(path string) string {
	if path == "" {
		return ""
	}
	return " under " + path
}

func scalarOrSubtree(file, key string, v any) (Value, error) {
	switch x := v.(type) {
	case string, int, float64, bool:
		s, _ := sopsfile.ScalarText(x)
		return NewValue([]byte(s)), nil
	case sopsfile.Mapping:
		out, err := sopsfile.EncodeYAML(x)
		if err != nil {
			return Value{}, newError(file, ReasonBadValue, "key %q holds a mapping that cannot be emitted as YAML", key)
		}
		return NewValue(out), nil
	case sopsfile.List:
		out, err := sopsfile.EncodeYAML(x)
		if err != nil {
			return Value{}, newError(file, ReasonBadValue, "key %q holds a list that cannot be emitted as YAML", key)
		}
		return NewValue(out), nil
	case nil:
		return Value{}, newError(file, ReasonBadValue, "key %q is null", key)
	default:
		return Value{}, newError(file, ReasonBadValue, "key %q holds a %s, not a string", key, fmt.Sprintf("%T", v))
	}
}
