package sopsfile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A dotenv file is read as sops reads it: lines split at '\n' (a '\r'
// stays part of the value), empty lines skipped, lines starting with '#'
// are comments, every other line is NAME=VALUE split at the first '=' with
// "\n" in the value standing for a newline. The metadata is the "sops_"
// variables, flattened.

func loadDotenv(in []byte) ([]Mapping, error) {
	var m Mapping
	for i, l := range bytes.Split(in, []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		if l[0] == '#' {
			m = append(m, Item{Comment: &Comment{Text: string(l[1:])}})
			continue
		}
		eq := bytes.IndexByte(l, '=')
		if eq < 0 {
			return nil, &Error{Kind: ErrMalformed, Detail: "a dotenv line has no '='", Line: i + 1}
		}
		m = append(m, Item{Key: string(l[:eq]), Value: strings.ReplaceAll(string(l[eq+1:]), `\n`, "\n")})
	}
	return []Mapping{m}, nil
}

func emitDotenv(m Mapping) ([]byte, error) {
	var b bytes.Buffer
	for _, it := range m {
		switch it.Value.(type) {
		case Mapping, List:
			return nil, errorf(ErrMalformed, "a dotenv file cannot hold a nested value (key %q)", it.Key)
		}
		if it.Comment != nil {
			b.WriteByte('#')
			b.WriteString(it.Comment.Text)
			b.WriteByte('\n')
			continue
		}
		var value string
		if s, ok := it.Value.(string); ok {
			value = strings.ReplaceAll(s, "\n", `\n`)
		} else {
			value = valueText(it.Value)
		}
		b.WriteString(it.Key)
		b.WriteByte('=')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// valueText is how sops prints a non-string scalar in dotenv and INI files:
// floats always with a decimal point or exponent, bools in lower case, times
// in RFC 3339.
func valueText(v any) string {
	switch x := v.(type) {
	case float64:
		s := strconv.FormatFloat(x, 'G', -1, 64)
		if !strings.ContainsAny(s, ".E") {
			s = strconv.FormatFloat(x, 'f', 1, 64)
		}
		return s
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format(time.RFC3339)
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprintf("%v", v)
	}
}
