package sopsfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// JSON files are read token by token as sops reads them: the top level must
// be an object; numbers that fit an int64 are ints, other numbers float64;
// duplicate keys are kept. sops's reader has quirks that decide what a
// damaged file decrypts to, and they are kept too: the end of the input
// where a value is expected ends the object being read (without that entry),
// and anything after the top-level object is ignored.
//
// Binary files are JSON files whose "data" string is the content.

var errJSONKey = errors.New("expected an object key")

func loadJSON(in []byte) ([]Mapping, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, malformed("is not valid JSON", err)
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, malformed("is not a JSON object (sops supports only files whose top level is an object)", nil)
	}
	m, err := jsonObject(dec)
	if err != nil {
		return nil, malformed("is not valid JSON", err)
	}
	return []Mapping{m}, nil
}

// jsonObject reads the entries of an object whose '{' was read. An empty
// object is a nil Mapping, as in sops (where it then counts as no metadata).
func jsonObject(dec *json.Decoder) (Mapping, error) {
	var m Mapping
	for {
		t, err := dec.Token()
		if err != nil && !errors.Is(err, io.EOF) {
			return m, err
		}
		var key string
		switch x := t.(type) {
		case string:
			key = x
		case json.Delim:
			if x == '}' {
				return m, nil
			}
			return m, errJSONKey
		default:
			return m, errJSONKey
		}
		t, err = dec.Token()
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return m, err
		}
		v, err := jsonValue(dec, t)
		if errors.Is(err, io.EOF) {
			return m, nil
		}
		if err != nil {
			return m, err
		}
		m = append(m, Item{Key: key, Value: v})
	}
}

func jsonValue(dec *json.Decoder, t json.Token) (any, error) {
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			return jsonObject(dec)
		case '[':
			return jsonArray(dec)
		}
		return nil, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return int(i), nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, errJSONNumber
		}
		return f, nil
	default:
		return t, nil // string, bool or nil
	}
}

var errJSONNumber = errors.New("a number out of range")

// jsonArray reads the items of an array whose '[' was read; the end of the
// input inside it is reported as io.EOF, which ends the enclosing object.
func jsonArray(dec *json.Decoder) (List, error) {
	var l List
	for {
		t, err := dec.Token()
		if err != nil {
			return l, err
		}
		if d, ok := t.(json.Delim); ok && d == ']' {
			return l, nil
		}
		v, err := jsonValue(dec, t)
		if err != nil {
			return l, err
		}
		l = append(l, v)
	}
}

// emitJSON writes a mapping as sops does: compact, then indented with a tab,
// with a final newline. Comments (which JSON files cannot have) are skipped.
func emitJSON(m Mapping) ([]byte, error) {
	var compact bytes.Buffer
	if err := jsonEncode(&compact, m); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "\t"); err != nil {
		return nil, errEmitJSON
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

var errEmitJSON = errors.New("cannot be emitted as JSON")

func jsonEncode(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case Mapping:
		b.WriteByte('{')
		first := true
		for _, it := range x {
			if it.Comment != nil {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			k, err := json.Marshal(it.Key)
			if err != nil {
				return errEmitJSON
			}
			b.Write(k)
			b.WriteString(": ")
			if err := jsonEncode(b, it.Value); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case List:
		b.WriteByte('[')
		first := true
		for _, item := range x {
			if _, ok := item.(Comment); ok {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			if err := jsonEncode(b, item); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		out, err := json.Marshal(v)
		if err != nil {
			return errEmitJSON
		}
		b.Write(out)
	}
	return nil
}

// binaryData returns the content of a binary file's tree.
func binaryData(branches []Mapping) ([]byte, error) {
	if len(branches) != 1 {
		return nil, errorf(ErrMalformed, "a binary file must have exactly one document")
	}
	for _, it := range branches[0] {
		if it.Comment == nil && it.Key == "data" {
			s, ok := it.Value.(string)
			if !ok {
				return nil, errorf(ErrMalformed, "the data of a binary file is not a string")
			}
			return []byte(s), nil
		}
	}
	return nil, errorf(ErrMalformed, "a binary file has no data")
}
