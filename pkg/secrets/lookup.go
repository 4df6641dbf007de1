package secrets

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/getsops/sops/v3"
)

// Whole returns the whole document as bytes in its own format (for binary
// files: the file's content).
func (d *Document) Whole(file string) (Value, error) {
	if len(d.branches) != 1 {
		return Value{}, newError(file, ReasonBadValue, "has %d YAML documents; only single-document files are supported", len(d.branches))
	}
	out, err := storeFor(d.format).EmitPlainFile(d.branches)
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
	if len(d.branches) != 1 {
		return Value{}, newError(file, ReasonBadValue, "has %d YAML documents; only single-document files are supported", len(d.branches))
	}
	var cur any = d.branches[0]
	segments := strings.Split(key, ".")
	for i, seg := range segments {
		walked := strings.Join(segments[:i], ".")
		switch node := cur.(type) {
		case sops.TreeBranch:
			next, ok := lookupBranch(node, seg)
			if !ok {
				return Value{}, newError(file, ReasonKeyNotFound, "has no key %q%s (available: %s)", seg, under(walked), branchKeys(node))
			}
			cur = next
		case []any:
			items := listItems(node)
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

// listItems returns the items of a list without the YAML comments that the
// sops YAML store keeps among them, so that indexes count items only.
func listItems(list []any) []any {
	items := make([]any, 0, len(list))
	for _, item := range list {
		if _, ok := item.(sops.Comment); !ok {
			items = append(items, item)
		}
	}
	return items
}

func lookupBranch(b sops.TreeBranch, key string) (any, bool) {
	for _, item := range b {
		if k, ok := item.Key.(string); ok && k == key {
			return item.Value, true
		}
	}
	return nil, false
}

// branchKeys lists a mapping's key names (names only, never values).
func branchKeys(b sops.TreeBranch) string {
	var keys []string
	for _, item := range b {
		if k, ok := item.Key.(string); ok {
			keys = append(keys, strconv.Quote(k))
		}
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
	case string:
		return NewValue([]byte(x)), nil
	case int:
		return NewValue([]byte(strconv.Itoa(x))), nil
	case float64:
		return NewValue([]byte(strconv.FormatFloat(x, 'f', -1, 64))), nil
	case bool:
		return NewValue([]byte(strconv.FormatBool(x))), nil
	case sops.TreeBranch:
		out, err := storeFor(FormatYAML).EmitPlainFile(sops.TreeBranches{x})
		if err != nil {
			return Value{}, newError(file, ReasonBadValue, "key %q holds a mapping that cannot be emitted as YAML", key)
		}
		return NewValue(out), nil
	case []any:
		out, err := storeFor(FormatYAML).EmitValue(x)
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
