package secrets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// Decryptor turns the bytes of a file into a Document. Implementations decide
// where keys come from; errors must be *Error values without secret content.
type Decryptor interface {
	// Decrypt decrypts SOPS-encrypted data and verifies its MAC. Data without
	// any trace of SOPS gives an *Error with ReasonPlaintext.
	Decrypt(file string, data []byte, format Format) (*Document, error)
	// Parse loads data that is not encrypted (only for references that allow it).
	Parse(file string, data []byte, format Format) (*Document, error)
}

// Document is the content of a decrypted (or accepted plaintext) file: an
// ordered tree (the types of package sopsfile, whichever decryptor produced
// it) and the way to print it back in its own format.
type Document struct {
	format    Format
	branches  []sopsfile.Mapping
	plaintext func() ([]byte, error)
}

// NewDocument returns a document of the format holding branches (one per
// YAML document; for a binary file one mapping with the "data" string);
// plaintext prints the whole document as `sops decrypt` would.
func NewDocument(format Format, branches []sopsfile.Mapping, plaintext func() ([]byte, error)) *Document {
	return &Document{format: format, branches: branches, plaintext: plaintext}
}

// ParsePlaintext parses a plaintext file with package sopsfile's reader
// (the lean build's Decryptor.Parse, and NewMemoryResolver's).
func ParsePlaintext(file string, data []byte, format Format) (*Document, error) {
	doc, err := sopsfile.Parse(data, sopsfile.Format(format))
	if err != nil {
		line := ""
		var e *sopsfile.Error
		if errors.As(err, &e) && e.Line > 0 {
			line = fmt.Sprintf(" (near line %d)", e.Line)
		}
		return nil, NewError(file, ReasonMalformed, "is not a valid %s document%s", format, line)
	}
	return NewDocument(format, doc.Branches, doc.Plaintext), nil
}

// Whole returns the whole document as bytes in its own format (for binary
// files: the file's content). A structured document is re-encoded only
// after boundEncoding has found it small and shallow enough.
func (d *Document) Whole(file string) (Value, error) {
	if len(d.branches) != 1 {
		return Value{}, NewError(file, ReasonBadValue, "has %d YAML documents; only single-document files are supported", len(d.branches))
	}
	if d.format.Structured() {
		switch boundEncoding(d.branches[0], d.format == FormatJSON) {
		case errTooDeep:
			return Value{}, NewError(file, ReasonTooLarge, "nests mappings and lists more than %d levels deep, the limit for a decrypted value", MaxNesting)
		case errTooBig:
			return Value{}, NewError(file, ReasonTooLarge, "could print to more than %d bytes as %s, the limit for a decrypted value (each level of nesting indents every line below it)", MaxFileSize, d.format)
		}
	}
	out, err := d.plaintext()
	if err != nil {
		return Value{}, NewError(file, ReasonBadValue, "cannot be re-emitted as %s", d.format)
	}
	return NewValue(out), nil
}

// Lookup returns the value at a dotted key path: mapping keys by name, list
// items by index; for INI "section.key". A scalar yields its text; a mapping
// or list yields YAML.
func (d *Document) Lookup(file, key string) (Value, error) {
	if !d.format.Structured() {
		return Value{}, NewError(file, ReasonKeyNotFound, "is a binary file: it has no keys (remove key, or set format)")
	}
	if len(d.branches) != 1 {
		return Value{}, NewError(file, ReasonBadValue, "has %d YAML documents; only single-document files are supported", len(d.branches))
	}
	var cur any = d.branches[0]
	segments := strings.Split(key, ".")
	for i, seg := range segments {
		walked := strings.Join(segments[:i], ".")
		switch node := cur.(type) {
		case sopsfile.Mapping:
			next, ok := node.Get(seg)
			if !ok {
				return Value{}, NewError(file, ReasonKeyNotFound, "has no key %q%s (available: %s)", seg, under(walked), mappingKeys(node))
			}
			cur = next
		case sopsfile.List:
			items := node.Items()
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(items) {
				return Value{}, NewError(file, ReasonKeyNotFound, "%s is a list of %d items; %q is not an index into it", walked, len(items), seg)
			}
			cur = items[idx]
		default:
			return Value{}, NewError(file, ReasonKeyNotFound, "%s is a scalar; it has no key %q", walked, seg)
		}
	}
	return scalarOrSubtree(file, key, cur)
}

// mappingKeys lists a mapping's key names (names only, never values).
func mappingKeys(m sopsfile.Mapping) string {
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
	case string:
		return NewValue([]byte(x)), nil
	case int:
		return NewValue([]byte(strconv.Itoa(x))), nil
	case float64:
		return NewValue([]byte(strconv.FormatFloat(x, 'f', -1, 64))), nil
	case bool:
		return NewValue([]byte(strconv.FormatBool(x))), nil
	case time.Time:
		return NewValue([]byte(x.Format(time.RFC3339))), nil
	case []byte:
		return NewValue(x), nil
	case sopsfile.Mapping, sopsfile.List:
		switch boundEncoding(x, false) {
		case errTooDeep:
			return Value{}, NewError(file, ReasonTooLarge, "key %q selects a %s that nests more than %d levels deep, the limit for a selected value", key, kindOf(x), MaxNesting)
		case errTooBig:
			return Value{}, NewError(file, ReasonTooLarge, "key %q selects a %s that could print to more than %d bytes as YAML, the limit for a selected value (each level of nesting indents every line below it)", key, kindOf(x), MaxFileSize)
		}
		out, err := sopsfile.EncodeYAML(x)
		if err != nil {
			return Value{}, NewError(file, ReasonBadValue, "key %q holds a %s that cannot be emitted as YAML", key, kindOf(x))
		}
		return NewValue(out), nil
	case nil:
		return Value{}, NewError(file, ReasonBadValue, "key %q is null", key)
	default:
		return Value{}, NewError(file, ReasonBadValue, "key %q holds a %s, not a string", key, fmt.Sprintf("%T", v))
	}
}

func kindOf(v any) string {
	if _, ok := v.(sopsfile.List); ok {
		return "list"
	}
	return "mapping"
}
