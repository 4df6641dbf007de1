package secrets

import (
	"bytes"
	"errors"
	"unicode/utf8"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// jsonTooDeep reports whether data, read as JSON (a JSON file, or a binary
// file that starts as one: encrypted binary files are JSON), nests more
// than MaxParseNesting levels. Brackets inside strings do not count.
func jsonTooDeep(data []byte, format Format) bool {
	switch format {
	case FormatJSON:
	case FormatBinary:
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return false
		}
	default:
		return false
	}
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > MaxParseNesting {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

var (
	errTooDeep = errors.New("nested too deep")
	errTooBig  = errors.New("too large once encoded")
)

// boundEncoding walks v and returns errTooDeep or errTooBig unless v nests
// at most MaxNesting levels and every encoding of it (sops's and package
// sopsfile's, with any indent up to 4 columns a level) takes at most
// MaxFileSize bytes: as JSON if json is set (a JSON file's whole), else as
// YAML (what a key selects, a YAML file's whole; dotenv and INI escape less
// than YAML). It stops as soon as a limit is passed, so it visits at most
// MaxFileSize/20 nodes however large v is, and it allocates nothing.
func boundEncoding(v any, json bool) error {
	b := encodingBound{left: MaxFileSize, json: json}
	return b.walk(v, 0)
}

// encodingBound counts down an upper bound of the encoded size: each item
// of a mapping or list is charged two full lines at its depth (indentation,
// "- ", "? ", ": ", quotes, brackets, a comma, the newline), each scalar its
// most expensive spelling (every character escaped as JSON or YAML escape
// it, every line break a new indented line of a block scalar).
type encodingBound struct {
	left int
	json bool
}

// lineCost is the most a line at depth can cost beyond its text.
func lineCost(depth int) int { return 4*(depth+1) + 16 }

func (b *encodingBound) spend(n int) error {
	b.left -= n
	if b.left < 0 {
		return errTooBig
	}
	return nil
}

func (b *encodingBound) walk(v any, depth int) error {
	switch x := v.(type) {
	case sopsfile.Mapping:
		if depth >= MaxNesting {
			return errTooDeep
		}
		if err := b.spend(lineCost(depth)); err != nil {
			return err
		}
		for _, it := range x {
			if it.Comment != nil {
				if err := b.spend(lineCost(depth) + textCost(it.Comment.Text, depth, b.json)); err != nil {
					return err
				}
				continue
			}
			if err := b.spend(2*lineCost(depth) + textCost(it.Key, depth, b.json)); err != nil {
				return err
			}
			if err := b.walk(it.Value, depth+1); err != nil {
				return err
			}
		}
	case sopsfile.List:
		if depth >= MaxNesting {
			return errTooDeep
		}
		if err := b.spend(lineCost(depth)); err != nil {
			return err
		}
		for _, item := range x {
			if c, ok := item.(sopsfile.Comment); ok {
				if err := b.spend(lineCost(depth) + textCost(c.Text, depth, b.json)); err != nil {
					return err
				}
				continue
			}
			if err := b.spend(2 * lineCost(depth)); err != nil {
				return err
			}
			if err := b.walk(item, depth+1); err != nil {
				return err
			}
		}
	case string:
		return b.spend(textCost(x, depth, b.json))
	case []byte:
		// YAML prints a byte slice as a list of numbers, one a line.
		if len(x) > MaxFileSize {
			return errTooBig
		}
		return b.spend(len(x) * (lineCost(depth) + 4))
	default:
		// Numbers, booleans, null and times: at most 35 bytes (a time in
		// RFC 3339 with nanoseconds; YAML and JSON print floats in 'g' or
		// 'e' form, never 'f' with hundreds of zeros), quoted.
		return b.spend(48)
	}
	return nil
}

// textCost bounds the encoded size of a string (a value, a key or a
// comment) at depth: both quotes and the longest spelling of each
// character. In YAML: "\"", "\\" and "”" escapes, \xXX for ASCII
// controls, \uXXXX or \UXXXXXXXX for what YAML does not print as is, and a
// new indented line of a block scalar for each line break; a string that is
// not UTF-8 is printed as base64 in lines of 70 characters. In JSON
// (json.Marshal, as sops): \u00XX for controls, <, > and &, \ufffd for
// each invalid byte, \u2028 and \u2029.
func textCost(s string, depth int, json bool) int {
	if len(s) > MaxFileSize {
		return MaxFileSize + 1
	}
	if !utf8.ValidString(s) && !json {
		return 2*len(s) + (len(s)/50+1)*lineCost(depth)
	}
	n := 2
	for i, r := range s {
		switch {
		case r >= 0x20 && r < 0x7f:
			switch r {
			case '"', '\\', '\'':
				n += 2
			case '<', '>', '&':
				n += pick(json, 6, 1)
			default:
				n++
			}
		case r == '\n' || r == 0x85 || r == 0x2028 || r == 0x2029:
			n += pick(json, 6, 6+lineCost(depth))
		case r < 0x80:
			n += pick(json, 6, 4)
		case r == utf8.RuneError && json:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				n += 6
			} else {
				n += 3
			}
		case json || yamlPrintable(r):
			n += utf8.RuneLen(r)
		case r < 0x10000:
			n += 6
		default:
			n += 10
		}
	}
	return n
}

// yamlPrintable is what go.yaml.in/yaml/v3 prints as is beyond ASCII
// (its is_printable): runes outside the basic plane are escaped.
func yamlPrintable(r rune) bool {
	return r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd && r != 0xfeff
}

func pick(json bool, inJSON, inYAML int) int {
	if json {
		return inJSON
	}
	return inYAML
}
