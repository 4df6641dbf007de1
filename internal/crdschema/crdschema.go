// Package crdschema validates objects offline against the openAPIV3Schema
// of a CustomResourceDefinition file, for tests of example manifests.
//
// It implements the structural-schema checks the examples exercise, with
// the API server's semantics and `kubectl apply`'s default strict field
// validation (an unknown field is an error, not silently pruned):
//
//   - apiVersion (group and a served version) and kind must match the CRD;
//   - metadata: name (or generateName) required, a DNS-1123 subdomain;
//     namespace only for namespaced kinds; labels and annotations string
//     maps; no unknown fields;
//   - type (object, array, string, integer, number, boolean), properties,
//     required, additionalProperties (schema or boolean), items, enum,
//     anyOf, pattern, minLength, maxLength, nullable,
//     x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string.
//
// Not checked: format, x-kubernetes-validations (CEL), list-type uniqueness,
// defaults, and anything an admission webhook or controller would reject.
// A real API server remains the final word.
package crdschema

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// Schema is the subset of a JSONSchemaProps that Validate understands.
type Schema struct {
	Type                  string             `json:"type,omitempty"`
	Properties            map[string]*Schema `json:"properties,omitempty"`
	AdditionalProperties  *SchemaOrBool      `json:"additionalProperties,omitempty"`
	Items                 *Schema            `json:"items,omitempty"`
	Required              []string           `json:"required,omitempty"`
	Enum                  []any              `json:"enum,omitempty"`
	AnyOf                 []*Schema          `json:"anyOf,omitempty"`
	Pattern               string             `json:"pattern,omitempty"`
	MinLength             *int64             `json:"minLength,omitempty"`
	MaxLength             *int64             `json:"maxLength,omitempty"`
	Nullable              bool               `json:"nullable,omitempty"`
	PreserveUnknownFields bool               `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
	IntOrString           bool               `json:"x-kubernetes-int-or-string,omitempty"`
	pattern               *regexp.Regexp
}

// SchemaOrBool is additionalProperties: a schema, or true/false.
type SchemaOrBool struct {
	Allows bool
	Schema *Schema
}

// UnmarshalJSON accepts a boolean or a schema.
func (s *SchemaOrBool) UnmarshalJSON(data []byte) error {
	var b bool
	if err := json.Unmarshal(data, &b); err == nil {
		s.Allows = b
		return nil
	}
	s.Allows = true
	s.Schema = &Schema{}
	return json.Unmarshal(data, s.Schema)
}

// CRD is a loaded CustomResourceDefinition.
type CRD struct {
	Group      string
	Kind       string
	Namespaced bool
	// Versions maps each served version to its schema.
	Versions map[string]*Schema
}

type crdFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Group string `json:"group"`
		Names struct {
			Kind string `json:"kind"`
		} `json:"names"`
		Scope    string `json:"scope"`
		Versions []struct {
			Name   string `json:"name"`
			Served bool   `json:"served"`
			Schema struct {
				OpenAPIV3Schema *Schema `json:"openAPIV3Schema"`
			} `json:"schema"`
		} `json:"versions"`
	} `json:"spec"`
}

// Load reads an apiextensions.k8s.io/v1 CustomResourceDefinition file.
func Load(path string) (*CRD, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f crdFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.APIVersion != "apiextensions.k8s.io/v1" || f.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: not an apiextensions.k8s.io/v1 CustomResourceDefinition", path)
	}
	c := &CRD{Group: f.Spec.Group, Kind: f.Spec.Names.Kind, Namespaced: f.Spec.Scope == "Namespaced", Versions: map[string]*Schema{}}
	for _, v := range f.Spec.Versions {
		if !v.Served {
			continue
		}
		if v.Schema.OpenAPIV3Schema == nil {
			return nil, fmt.Errorf("%s: version %s has no openAPIV3Schema", path, v.Name)
		}
		if err := v.Schema.OpenAPIV3Schema.compile(); err != nil {
			return nil, fmt.Errorf("%s: version %s: %w", path, v.Name, err)
		}
		c.Versions[v.Name] = v.Schema.OpenAPIV3Schema
	}
	if c.Group == "" || c.Kind == "" || len(c.Versions) == 0 {
		return nil, fmt.Errorf("%s: no group, kind or served version", path)
	}
	return c, nil
}

func (s *Schema) compile() error {
	if s == nil {
		return nil
	}
	if s.Pattern != "" {
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return fmt.Errorf("pattern %q: %w", s.Pattern, err)
		}
		s.pattern = re
	}
	for _, p := range s.Properties {
		if err := p.compile(); err != nil {
			return err
		}
	}
	if s.AdditionalProperties != nil {
		if err := s.AdditionalProperties.Schema.compile(); err != nil {
			return err
		}
	}
	for _, a := range s.AnyOf {
		if err := a.compile(); err != nil {
			return err
		}
	}
	return s.Items.compile()
}

// Validate checks obj (decoded from JSON or YAML) and returns every
// problem found, sorted, or nil.
func (c *CRD) Validate(obj map[string]any) []string {
	var errs []string
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok || group != c.Group {
		return []string{fmt.Sprintf("apiVersion: %q is not in group %s", apiVersion, c.Group)}
	}
	schema, ok := c.Versions[version]
	if !ok {
		return []string{fmt.Sprintf("apiVersion: version %q of %s is not served", version, c.Group)}
	}
	if kind != c.Kind {
		return []string{fmt.Sprintf("kind: %q, want %q", kind, c.Kind)}
	}
	errs = append(errs, c.validateMetadata(obj["metadata"])...)
	rest := map[string]any{}
	for k, v := range obj {
		if k != "metadata" {
			rest[k] = v
		}
	}
	// The schema's own metadata entry (type: object) is checked above.
	top := *schema
	top.Required = without(top.Required, "metadata")
	errs = append(errs, validate("", rest, &top)...)
	sort.Strings(errs)
	return errs
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

var metadataFields = map[string]bool{
	"name": true, "generateName": true, "namespace": true, "labels": true, "annotations": true,
	"finalizers": true, "ownerReferences": true, "uid": true, "resourceVersion": true, "generation": true,
	"creationTimestamp": true, "deletionTimestamp": true, "deletionGracePeriodSeconds": true, "managedFields": true,
	"selfLink": true,
}

func (c *CRD) validateMetadata(v any) []string {
	m, ok := v.(map[string]any)
	if !ok {
		return []string{"metadata: Required value: must be an object"}
	}
	var errs []string
	for k := range m {
		if !metadataFields[k] {
			errs = append(errs, fmt.Sprintf("metadata.%s: unknown field %q", k, k))
		}
	}
	name, _ := m["name"].(string)
	if _, gen := m["generateName"]; name == "" && !gen {
		errs = append(errs, "metadata.name: Required value")
	} else if name != "" {
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, fmt.Sprintf("metadata.name: Invalid value: %q: %s", name, msg))
		}
	}
	if ns, present := m["namespace"]; present {
		s, ok := ns.(string)
		switch {
		case !c.Namespaced:
			errs = append(errs, fmt.Sprintf("metadata.namespace: %s is cluster-scoped", c.Kind))
		case !ok:
			errs = append(errs, "metadata.namespace: Invalid value: must be a string")
		default:
			for _, msg := range validation.IsDNS1123Label(s) {
				errs = append(errs, fmt.Sprintf("metadata.namespace: Invalid value: %q: %s", s, msg))
			}
		}
	}
	for _, field := range []string{"labels", "annotations"} {
		v, present := m[field]
		if !present {
			continue
		}
		mm, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, fmt.Sprintf("metadata.%s: Invalid value: must be a map of strings", field))
			continue
		}
		for k, val := range mm {
			if _, ok := val.(string); !ok {
				errs = append(errs, fmt.Sprintf("metadata.%s.%s: Invalid value: must be a string", field, k))
			}
		}
	}
	if v, present := m["finalizers"]; present {
		list, ok := v.([]any)
		if !ok {
			errs = append(errs, "metadata.finalizers: Invalid value: must be a list of strings")
		}
		for i, f := range list {
			if _, ok := f.(string); !ok {
				errs = append(errs, fmt.Sprintf("metadata.finalizers[%d]: Invalid value: must be a string", i))
			}
		}
	}
	return errs
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func validate(path string, v any, s *Schema) []string {
	if s == nil {
		return nil
	}
	where := path
	if where == "" {
		where = "<root>"
	}
	if v == nil {
		if s.Nullable {
			return nil
		}
		// The API server drops a null in a non-nullable field before
		// validation; a required field then reports as missing.
		return nil
	}
	if len(s.AnyOf) > 0 && !s.IntOrString {
		matched := false
		for _, alt := range s.AnyOf {
			if len(validate(path, v, alt)) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			return []string{fmt.Sprintf("%s: Invalid value: %s: matches none of the allowed schemas", where, show(v))}
		}
	}
	if s.IntOrString {
		if !isInteger(v) {
			if _, ok := v.(string); !ok {
				return []string{fmt.Sprintf("%s: Invalid value: %s: must be an integer or a string", where, show(v))}
			}
		}
		return nil
	}
	var errs []string
	switch s.Type {
	case "":
		if !s.PreserveUnknownFields && len(s.Properties) == 0 && s.AdditionalProperties == nil && s.Items == nil {
			return nil
		}
	case "object":
		if _, ok := v.(map[string]any); !ok {
			return []string{fmt.Sprintf("%s: Invalid value: %s: must be an object", where, show(v))}
		}
	case "array":
		if _, ok := v.([]any); !ok {
			return []string{fmt.Sprintf("%s: Invalid value: %s: must be an array", where, show(v))}
		}
	case "string":
		if _, ok := v.(string); !ok {
			return []string{fmt.Sprintf("%s: Invalid value: %s: must be a string", where, show(v))}
		}
	case "integer":
		if !isInteger(v) {
			return []string{fmt.Sprintf("%s: Invalid value: %s: must be an integer", where, show(v))}
		}
	case "number":
		if _, ok := toFloat(v); !ok {
			return []string{fmt.Sprintf("%s: Invalid value: %s: must be a number", where, show(v))}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: Invalid value: %s: must be a boolean", where, show(v))}
		}
	default:
		return []string{fmt.Sprintf("%s: the schema has an unsupported type %q", where, s.Type)}
	}
	if len(s.Enum) > 0 && !inEnum(v, s.Enum) {
		errs = append(errs, fmt.Sprintf("%s: Unsupported value: %s: supported values: %s", where, show(v), showEnum(s.Enum)))
	}
	if str, ok := v.(string); ok {
		if s.MinLength != nil && int64(len([]rune(str))) < *s.MinLength {
			errs = append(errs, fmt.Sprintf("%s: Invalid value: %q: should be at least %d chars long", where, str, *s.MinLength))
		}
		if s.MaxLength != nil && int64(len([]rune(str))) > *s.MaxLength {
			errs = append(errs, fmt.Sprintf("%s: Too long: may not be more than %d chars", where, *s.MaxLength))
		}
		if s.pattern != nil && !s.pattern.MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s: Invalid value: %q: should match %q", where, str, s.Pattern))
		}
	}
	if m, ok := v.(map[string]any); ok {
		for _, r := range s.Required {
			if val, present := m[r]; !present || val == nil {
				errs = append(errs, fmt.Sprintf("%s: Required value", join(path, r)))
			}
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			child := join(path, k)
			switch {
			case s.Properties[k] != nil:
				errs = append(errs, validate(child, m[k], s.Properties[k])...)
			case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
				errs = append(errs, validate(child, m[k], s.AdditionalProperties.Schema)...)
			case s.AdditionalProperties != nil && s.AdditionalProperties.Allows, s.PreserveUnknownFields:
			default:
				errs = append(errs, fmt.Sprintf("%s: unknown field %q", child, k))
			}
		}
	}
	if list, ok := v.([]any); ok && s.Items != nil {
		for i, item := range list {
			errs = append(errs, validate(fmt.Sprintf("%s[%d]", path, i), item, s.Items)...)
		}
	}
	return errs
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func isInteger(v any) bool {
	f, ok := toFloat(v)
	return ok && !math.IsInf(f, 0) && f == math.Trunc(f)
}

func inEnum(v any, enum []any) bool {
	for _, e := range enum {
		if reflect.DeepEqual(v, e) {
			return true
		}
		if a, ok := toFloat(v); ok {
			if b, ok := toFloat(e); ok && a == b {
				return true
			}
		}
	}
	return false
}

func show(v any) string {
	data, err := json.Marshal(v)
	if err != nil || len(data) > 60 {
		return fmt.Sprintf("(%T)", v)
	}
	return string(data)
}

func showEnum(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = show(e)
	}
	return strings.Join(parts, ", ")
}
