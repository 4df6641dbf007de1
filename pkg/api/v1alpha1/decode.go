package v1alpha1

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// Decode decodes one ClusterPairRequest from YAML or JSON. A document that
// cannot be decoded at all (bad YAML, wrong apiVersion or kind, a field of the
// wrong type, duplicate keys) is an error. Unknown or misspelled fields are
// returned as error findings naming the full field path (with a suggestion
// when a known field is close), alongside the request decoded without them,
// so that Validate can report every other problem in the same run.
//
// The YAML is parsed once, strictly (duplicate keys are refused, where
// sigs.k8s.io/yaml.Unmarshal keeps the last one silently); the generic
// document that parse gives is checked for unknown fields and decoded into
// the types, with sigs.k8s.io/yaml.Unmarshal's one liberty: a number or a
// boolean written where a string is expected is taken as its text.
func Decode(data []byte) (*ClusterPairRequest, diag.Findings, error) {
	js, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, nil, fmt.Errorf("not a valid YAML object: %s", cleanYAMLError(err))
	}
	var generic map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&generic); err != nil {
		return nil, nil, fmt.Errorf("not a valid YAML object: %s", cleanYAMLError(err))
	}
	if generic == nil {
		return nil, nil, fmt.Errorf("empty document")
	}
	if av, ok := generic["apiVersion"].(string); !ok || av != APIVersion {
		return nil, nil, diag.Finding{Severity: diag.Error, Field: "apiVersion", Message: fmt.Sprintf("must be %q, got %s", APIVersion, describeValue(generic["apiVersion"]))}
	}
	if k, ok := generic["kind"].(string); !ok || k != Kind {
		return nil, nil, diag.Finding{Severity: diag.Error, Field: "kind", Message: fmt.Sprintf("must be %q, got %s", Kind, describeValue(generic["kind"]))}
	}
	var fs diag.Findings
	w := walker{}
	w.walk(generic, reflect.TypeOf(ClusterPairRequest{}), "")
	for _, u := range w.unknown {
		fs.Errorf(u.path, "%s", u.message)
	}
	if w.coerced {
		if js, err = json.Marshal(generic); err != nil {
			return nil, nil, fmt.Errorf("%s", cleanYAMLError(err))
		}
	}
	var req ClusterPairRequest
	if err := json.Unmarshal(js, &req); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return nil, nil, diag.Finding{Severity: diag.Error, Field: typeErr.Field, Message: fmt.Sprintf("must be %s, not a %s", describeType(typeErr.Type), typeErr.Value)}
		}
		return nil, nil, fmt.Errorf("%s", cleanYAMLError(err))
	}
	return &req, fs, nil
}

// describeValue names a decoded value for an error message: strings quoted,
// other scalars as written, absent as "nothing".
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any, []any:
		return fmt.Sprintf("a %T", x)
	default:
		return fmt.Sprintf("%v", x)
	}
}

// describeType names a Go type the way a YAML author thinks of it.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return "a whole number (unquoted)"
	case reflect.Bool:
		return "true or false"
	case reflect.Map:
		return "a mapping"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Pointer:
		return "a mapping with fields"
	default:
		return t.String()
	}
}

// cleanYAMLError drops the layers of prefixes sigs.k8s.io/yaml adds and puts
// go-yaml's multi-line "unmarshal errors" on one line.
func cleanYAMLError(err error) string {
	msg := err.Error()
	for _, prefix := range []string{"error converting YAML to JSON: ", "error unmarshaling JSON: ", "while decoding JSON: ", "json: ", "yaml: unmarshal errors:\n"} {
		msg = strings.ReplaceAll(msg, prefix, "")
	}
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	msg = strings.Join(lines, "; ")
	return strings.ReplaceAll(msg, "already set in map", "is duplicated (each key may appear only once in a mapping)")
}

var jsonUnmarshalerType = reflect.TypeOf((*json.Unmarshaler)(nil)).Elem()

type unknownField struct{ path, message string }

// walker walks a decoded document against the Go type it must fit: it
// records one entry per field the type does not have, and turns a number
// or boolean whose field is a string into its text, as
// sigs.k8s.io/yaml.Unmarshal does (integers as written, other numbers in
// go-yaml's float form).
type walker struct {
	unknown []unknownField
	coerced bool
}

func (w *walker) walk(value any, t reflect.Type, path string) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return value
	}
	switch t.Kind() {
	case reflect.String:
		return w.text(value)
	case reflect.Struct:
		obj, ok := value.(map[string]any)
		if !ok {
			return value // type mismatches are reported by the decoder
		}
		fields := jsonFields(t)
		for _, key := range sortedAnyKeys(obj) {
			ft, known := fields[key]
			child := joinPath(path, key)
			if !known {
				w.unknown = append(w.unknown, unknownField{path: child, message: unknownFieldMessage(key, fields)})
				continue
			}
			obj[key] = w.walk(obj[key], ft, child)
		}
	case reflect.Map:
		if obj, ok := value.(map[string]any); ok {
			for _, key := range sortedAnyKeys(obj) {
				obj[key] = w.walk(obj[key], t.Elem(), joinPath(path, key))
			}
		}
	case reflect.Slice:
		if list, ok := value.([]any); ok {
			for i, item := range list {
				list[i] = w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	return value
}

// text is a scalar written where a string is expected, as a string.
func (w *walker) text(value any) any {
	switch v := value.(type) {
	case json.Number:
		w.coerced = true
		if !strings.ContainsAny(string(v), ".eE") {
			return string(v)
		}
		f, _ := v.Float64()
		return strconv.FormatFloat(f, 'g', -1, 32)
	case bool:
		w.coerced = true
		return strconv.FormatBool(v)
	}
	return value
}

func unknownFieldMessage(key string, fields map[string]reflect.Type) string {
	known := make([]string, 0, len(fields))
	for name := range fields {
		known = append(known, name)
	}
	sort.Strings(known)
	if best := closest(key, known); best != "" {
		return fmt.Sprintf("unknown field %q (did you mean %q?)", key, best)
	}
	return fmt.Sprintf("unknown field %q (known fields here: %s)", key, strings.Join(known, ", "))
}

// jsonFields maps the JSON names of a struct's fields (inline structs flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && (name == "" || strings.Contains(opts, "inline")) {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedAnyKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// closest returns the candidate nearest to s by edit distance (case-insensitive),
// if it is near enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestDist := "", 1<<30
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if bestDist <= limit {
		return best
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
