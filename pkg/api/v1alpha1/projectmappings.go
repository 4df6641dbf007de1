package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// ProjectMappings maps Rancher project IDs of the source cluster to those of the
// destination. It decodes from a YAML map or from storkctl's --project-mappings
// string; the string is parsed (and every problem reported) by Validate, so that
// errors can name the field.
type ProjectMappings struct {
	entries    map[string]string
	fromString *string
}

// NewProjectMappings returns mappings holding a copy of m.
func NewProjectMappings(m map[string]string) ProjectMappings {
	cp := make(map[string]string, len(m))
	for k, v := range m {
		cp[k] = v
	}
	return ProjectMappings{entries: cp}
}

// ParseProjectMappings returns mappings in storkctl's string form, unparsed until Validate.
func ParseProjectMappings(s string) ProjectMappings {
	return ProjectMappings{fromString: &s}
}

// UnmarshalJSON accepts a JSON object of strings or a string.
func (p *ProjectMappings) UnmarshalJSON(data []byte) error {
	trimmed := bytes.TrimSpace(data)
	switch {
	case bytes.Equal(trimmed, []byte("null")):
		*p = ProjectMappings{}
		return nil
	case len(trimmed) > 0 && trimmed[0] == '"':
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return err
		}
		*p = ProjectMappings{fromString: &s}
		return nil
	default:
		var m map[string]string
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return fmt.Errorf("projectMappings must be a map of strings or a string like \"p-a=p-b,c-1:p-a=c-2:p-b\"")
		}
		*p = ProjectMappings{entries: m}
		return nil
	}
}

// MarshalJSON writes the mappings as a JSON object (the string form is parsed first).
func (p ProjectMappings) MarshalJSON() ([]byte, error) {
	m, problems := p.Resolve()
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid projectMappings: %s", problems[0])
	}
	return json.Marshal(m)
}

// IsZero reports whether no mappings were given in any form.
func (p ProjectMappings) IsZero() bool {
	return p.fromString == nil && len(p.entries) == 0
}

// Resolve returns the mappings as a map plus every problem found. Nothing is
// trimmed or dropped silently: whitespace, empty keys or values, empty
// elements and duplicate keys are problems. For every cluster-qualified entry
// "c-x:p-a" -> "c-y:p-b" the project-only entry "p-a" -> "p-b" is added when
// absent, because Stork looks up labels (p-a) and the field.cattle.io/projectId
// annotation (c-x:p-a) in the same map; a conflicting project-only entry is a
// problem, and so is a cluster-qualified entry mapped to a project-only value
// or the reverse.
func (p ProjectMappings) Resolve() (map[string]string, []string) {
	var problems []string
	explicit := map[string]string{}
	if p.fromString != nil {
		explicit, problems = parseMappingString(*p.fromString)
	} else {
		for _, k := range sortedKeys(p.entries) {
			if msg := checkProjectID(k); msg != "" {
				problems = append(problems, fmt.Sprintf("key %q: %s", k, msg))
			}
			if msg := checkProjectID(p.entries[k]); msg != "" {
				problems = append(problems, fmt.Sprintf("value of %q: %s", k, msg))
			}
			explicit[k] = p.entries[k]
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	out := make(map[string]string, len(explicit))
	for k, v := range explicit {
		out[k] = v
	}
	for _, k := range sortedKeys(explicit) {
		srcCluster, srcProject, ok := strings.Cut(k, ":")
		if !ok || srcCluster == "" {
			// A project-only key matches label values, which cannot hold ':'.
			if strings.Contains(explicit[k], ":") {
				problems = append(problems, fmt.Sprintf("%q maps a project ID to %q, which is cluster-qualified: Stork writes it into project labels, whose values cannot contain ':' (want p-xxxxx)", k, explicit[k]))
			}
			continue
		}
		_, dstProject, dstOK := strings.Cut(explicit[k], ":")
		if !dstOK {
			problems = append(problems, fmt.Sprintf("%q maps a cluster-qualified project to %q, which is not cluster-qualified (want c-xxxxx:p-xxxxx)", k, explicit[k]))
			continue
		}
		if have, exists := explicit[srcProject]; exists && have != dstProject {
			problems = append(problems, fmt.Sprintf("%q maps to %q but %q maps to %q", k, explicit[k], srcProject, have))
			continue
		}
		if have, exists := out[srcProject]; exists && have != dstProject {
			problems = append(problems, fmt.Sprintf("project %q is mapped to both %q and %q by cluster-qualified entries", srcProject, have, dstProject))
			continue
		}
		out[srcProject] = dstProject
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return out, nil
}

// parseMappingString parses "a=b,c=d" without trimming anything.
func parseMappingString(s string) (map[string]string, []string) {
	var problems []string
	out := map[string]string{}
	if s == "" {
		return nil, []string{"the string is empty"}
	}
	for i, elem := range strings.Split(s, ",") {
		if elem == "" {
			problems = append(problems, fmt.Sprintf("element %d is empty (stray comma?)", i+1))
			continue
		}
		k, v, ok := strings.Cut(elem, "=")
		if !ok {
			problems = append(problems, fmt.Sprintf("element %d %q has no '=' (want source=destination)", i+1, elem))
			continue
		}
		if msg := checkProjectID(k); msg != "" {
			problems = append(problems, fmt.Sprintf("element %d key %q: %s", i+1, k, msg))
			continue
		}
		if msg := checkProjectID(v); msg != "" {
			problems = append(problems, fmt.Sprintf("element %d value %q: %s", i+1, v, msg))
			continue
		}
		if prev, dup := out[k]; dup {
			problems = append(problems, fmt.Sprintf("element %d: %q is already mapped to %q", i+1, k, prev))
			continue
		}
		out[k] = v
	}
	return out, problems
}

// checkProjectID returns why id is not acceptable as a mapping key or value, or "".
func checkProjectID(id string) string {
	if id == "" {
		return "must not be empty"
	}
	for _, r := range id {
		if unicode.IsSpace(r) {
			return "must not contain whitespace (nothing is trimmed)"
		}
		if r == '=' || r == ',' {
			return "must not contain '=' or ','"
		}
		if !unicode.IsPrint(r) {
			return "must not contain control characters"
		}
	}
	if strings.Count(id, ":") > 1 {
		return "must be a project ID (p-xxxxx) or cluster:project (c-xxxxx:p-xxxxx)"
	}
	if c, p, ok := strings.Cut(id, ":"); ok && (c == "" || p == "") {
		return "cluster:project form needs both parts"
	}
	return ""
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
