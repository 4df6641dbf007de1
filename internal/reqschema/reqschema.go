// Package reqschema derives the JSON Schema editors use for a
// ClusterPairRequest (yaml-language-server, VS Code, IntelliJ) from the
// OpenAPI schema controller-gen generates from pkg/api/v1alpha1 (both
// committed under schema/; `make schema` regenerates them).
package reqschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"sigs.k8s.io/yaml"
)

// Files under schema/, relative to the repository root.
const (
	// CRDFile is controller-gen's CustomResourceDefinition output.
	CRDFile = "schema/fn.clusterpair.dev_clusterpairrequests.yaml"
	// JSONSchemaFile is the JSON Schema derived from it.
	JSONSchemaFile = "schema/clusterpairrequest.schema.json"
)

// JSONSchema returns the JSON Schema (draft-07, what yaml-language-server
// reads) of the single version of the CRD in crdYAML: the OpenAPI schema
// with apiVersion and kind fixed, metadata's common fields described,
// unknown fields refused wherever the API refuses them (Decode is strict),
// nullable turned into a "null" type and the x-kubernetes- extensions
// dropped. The output is deterministic (sorted keys, two-space indent).
func JSONSchema(crdYAML []byte) ([]byte, error) {
	var crd struct {
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(crdYAML, &crd); err != nil {
		return nil, fmt.Errorf("reading the CRD: %w", err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("the CRD must have exactly one version with an openAPIV3Schema (has %d versions)", len(crd.Spec.Versions))
	}
	v := crd.Spec.Versions[0]
	root := convert(v.Schema.OpenAPIV3Schema)
	props, _ := root["properties"].(map[string]any)
	if props == nil {
		return nil, fmt.Errorf("the %s schema has no properties", crd.Spec.Names.Kind)
	}
	apiVersion := crd.Spec.Group + "/" + v.Name
	props["apiVersion"] = map[string]any{"const": apiVersion, "description": "Must be " + apiVersion + "."}
	props["kind"] = map[string]any{"const": crd.Spec.Names.Kind, "description": "Must be " + crd.Spec.Names.Kind + "."}
	stringMap := map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	props["metadata"] = map[string]any{
		"type":        "object",
		"description": "name and namespace become the ClusterPair's; annotations carry the function configuration (config.kubernetes.io/function).",
		"required":    []any{"name"},
		"properties": map[string]any{
			"name":        map[string]any{"type": "string", "minLength": 1},
			"namespace":   map[string]any{"type": "string"},
			"labels":      stringMap,
			"annotations": stringMap,
		},
	}
	root["required"] = []any{"apiVersion", "kind", "metadata", "spec"}
	root["$schema"] = "http://json-schema.org/draft-07/schema#"
	root["title"] = crd.Spec.Names.Kind + " (" + apiVersion + ")"
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("writing the JSON Schema: %w", err)
	}
	return b.Bytes(), nil
}

// convert returns a JSON Schema copy of one OpenAPI schema node.
func convert(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		if strings.HasPrefix(k, "x-kubernetes-") || k == "nullable" {
			continue
		}
		switch k {
		case "properties":
			props := map[string]any{}
			for name, p := range v.(map[string]any) {
				props[name] = convert(p.(map[string]any))
			}
			out[k] = props
		case "items":
			out[k] = convert(v.(map[string]any))
		case "additionalProperties":
			if m, ok := v.(map[string]any); ok {
				out[k] = convert(m)
			} else {
				out[k] = v
			}
		case "anyOf", "oneOf", "allOf":
			var list []any
			for _, item := range v.([]any) {
				list = append(list, convert(item.(map[string]any)))
			}
			out[k] = list
		default:
			out[k] = v
		}
	}
	if s["nullable"] == true {
		if t, ok := out["type"].(string); ok {
			out["type"] = []any{t, "null"}
		}
	}
	// Decode refuses unknown fields; so does the schema, except where the
	// OpenAPI schema preserves them.
	if _, has := out["properties"]; has && s["x-kubernetes-preserve-unknown-fields"] != true {
		if _, set := out["additionalProperties"]; !set {
			out["additionalProperties"] = false
		}
	}
	return out
}
