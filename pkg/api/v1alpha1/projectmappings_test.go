package v1alpha1

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestProjectMappingsResolve(t *testing.T) {
	tests := []struct {
		name     string
		pm       ProjectMappings
		want     map[string]string
		problems []string
	}{
		// Accepted.
		{
			name: "map form",
			pm:   NewProjectMappings(map[string]string{"p-abc": "p-xyz", "p-def": "p-uvw"}),
			want: map[string]string{"p-abc": "p-xyz", "p-def": "p-uvw"},
		},
		{
			name: "storkctl string form",
			pm:   ParseProjectMappings("p-abc=p-xyz,c-111:p-abc=c-222:p-xyz"),
			want: map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"},
		},
		{
			name: "single element string",
			pm:   ParseProjectMappings("p-a=p-b"),
			want: map[string]string{"p-a": "p-b"},
		},
		{
			name: "project-only entry derived from a cluster-qualified one (map)",
			pm:   NewProjectMappings(map[string]string{"c-111:p-abc": "c-222:p-xyz"}),
			want: map[string]string{"c-111:p-abc": "c-222:p-xyz", "p-abc": "p-xyz"},
		},
		{
			name: "project-only entry derived from a cluster-qualified one (string)",
			pm:   ParseProjectMappings("c-111:p-abc=c-222:p-xyz,p-other=p-other2"),
			want: map[string]string{"c-111:p-abc": "c-222:p-xyz", "p-abc": "p-xyz", "p-other": "p-other2"},
		},
		{
			name: "explicit entry agreeing with the derived one",
			pm:   NewProjectMappings(map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"}),
			want: map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"},
		},
		{
			name: "two cluster-qualified entries deriving the same entry",
			pm:   NewProjectMappings(map[string]string{"c-1:p-a": "c-2:p-b", "c-3:p-a": "c-4:p-b"}),
			want: map[string]string{"c-1:p-a": "c-2:p-b", "c-3:p-a": "c-4:p-b", "p-a": "p-b"},
		},
		{
			name: "storkctl's a=b=c is not accepted but other punctuation is",
			pm:   ParseProjectMappings("p_a.1=p/b"),
			want: map[string]string{"p_a.1": "p/b"},
		},

		// Rejected: string form.
		{name: "empty string", pm: ParseProjectMappings(""), problems: []string{"the string is empty"}},
		{name: "trailing comma", pm: ParseProjectMappings("p-a=p-b,"), problems: []string{"element 2 is empty (stray comma?)"}},
		{name: "leading comma", pm: ParseProjectMappings(",p-a=p-b"), problems: []string{"element 1 is empty (stray comma?)"}},
		{name: "double comma", pm: ParseProjectMappings("p-a=p-b,,p-c=p-d"), problems: []string{"element 2 is empty (stray comma?)"}},
		{name: "missing =", pm: ParseProjectMappings("p-a=p-b,p-c"), problems: []string{`element 2 "p-c" has no '=' (want source=destination)`}},
		{name: "colon style of the docs", pm: ParseProjectMappings("p-a:p-b"), problems: []string{`element 1 "p-a:p-b" has no '=' (want source=destination)`}},
		{name: "empty key", pm: ParseProjectMappings("=p-b"), problems: []string{`element 1 key "": must not be empty`}},
		{name: "empty value", pm: ParseProjectMappings("p-a="), problems: []string{`element 1 value "": must not be empty`}},
		{name: "space after comma", pm: ParseProjectMappings("p-a=p-b, p-c=p-d"), problems: []string{`element 2 key " p-c": must not contain whitespace (nothing is trimmed)`}},
		{name: "space before =", pm: ParseProjectMappings("p-a =p-b"), problems: []string{`element 1 key "p-a ": must not contain whitespace (nothing is trimmed)`}},
		{name: "space after =", pm: ParseProjectMappings("p-a= p-b"), problems: []string{`element 1 value " p-b": must not contain whitespace (nothing is trimmed)`}},
		{name: "trailing newline", pm: ParseProjectMappings("p-a=p-b\n"), problems: []string{`element 1 value "p-b\n": must not contain whitespace (nothing is trimmed)`}},
		{name: "tab inside", pm: ParseProjectMappings("p-\ta=p-b"), problems: []string{`element 1 key "p-\ta": must not contain whitespace (nothing is trimmed)`}},
		{name: "control character", pm: ParseProjectMappings("p-a=p-b\x00"), problems: []string{`element 1 value "p-b\x00": must not contain control characters`}},
		{name: "second =", pm: ParseProjectMappings("p-a=p-b=p-c"), problems: []string{`element 1 value "p-b=p-c": must not contain '=' or ','`}},
		{name: "duplicate key", pm: ParseProjectMappings("p-a=p-b,p-a=p-c"), problems: []string{`element 2: "p-a" is already mapped to "p-b"`}},
		{name: "duplicate identical element", pm: ParseProjectMappings("p-a=p-b,p-a=p-b"), problems: []string{`element 2: "p-a" is already mapped to "p-b"`}},
		{name: "more than one colon in key", pm: ParseProjectMappings("c-1:p-a:x=c-2:p-b"), problems: []string{`element 1 key "c-1:p-a:x": must be a project ID (p-xxxxx) or cluster:project (c-xxxxx:p-xxxxx)`}},
		{name: "more than one colon in value", pm: ParseProjectMappings("c-1:p-a=c-2::p-b"), problems: []string{`element 1 value "c-2::p-b": must be a project ID (p-xxxxx) or cluster:project (c-xxxxx:p-xxxxx)`}},
		{name: "empty cluster part", pm: ParseProjectMappings(":p-a=c-2:p-b"), problems: []string{`element 1 key ":p-a": cluster:project form needs both parts`}},
		{name: "empty project part", pm: ParseProjectMappings("c-1:p-a=c-2:"), problems: []string{`element 1 value "c-2:": cluster:project form needs both parts`}},
		{
			name: "every problem is reported",
			pm:   ParseProjectMappings("p-a=p-b, p-c=p-d,p-a=p-e,"),
			problems: []string{
				`element 2 key " p-c": must not contain whitespace (nothing is trimmed)`,
				`element 3: "p-a" is already mapped to "p-b"`,
				"element 4 is empty (stray comma?)",
			},
		},

		// Rejected: map form.
		{name: "map: empty key", pm: NewProjectMappings(map[string]string{"": "p-b"}), problems: []string{`key "": must not be empty`}},
		{name: "map: empty value", pm: NewProjectMappings(map[string]string{"p-a": ""}), problems: []string{`value of "p-a": must not be empty`}},
		{name: "map: whitespace in key", pm: NewProjectMappings(map[string]string{" p-a": "p-b"}), problems: []string{`key " p-a": must not contain whitespace (nothing is trimmed)`}},
		{name: "map: whitespace in value", pm: NewProjectMappings(map[string]string{"p-a": "p-b "}), problems: []string{`value of "p-a": must not contain whitespace (nothing is trimmed)`}},
		{name: "map: comma in key", pm: NewProjectMappings(map[string]string{"p-a,p-c": "p-b"}), problems: []string{`key "p-a,p-c": must not contain '=' or ','`}},
		{name: "map: = in value", pm: NewProjectMappings(map[string]string{"p-a": "p-b=p-c"}), problems: []string{`value of "p-a": must not contain '=' or ','`}},
		{name: "map: more than one colon", pm: NewProjectMappings(map[string]string{"c-1:p-a:x": "c-2:p-b"}), problems: []string{`key "c-1:p-a:x": must be a project ID (p-xxxxx) or cluster:project (c-xxxxx:p-xxxxx)`}},
		{
			name:     "map: problems of key and value, in key order",
			pm:       NewProjectMappings(map[string]string{"p-z": " ", "p-a": "", "c-1:": "p-b"}),
			problems: []string{`key "c-1:": cluster:project form needs both parts`, `value of "p-a": must not be empty`, `value of "p-z": must not contain whitespace (nothing is trimmed)`},
		},

		// Rejected: derivation.
		{
			name:     "explicit entry conflicting with the derived one",
			pm:       NewProjectMappings(map[string]string{"p-abc": "p-other", "c-111:p-abc": "c-222:p-xyz"}),
			problems: []string{`"c-111:p-abc" maps to "c-222:p-xyz" but "p-abc" maps to "p-other"`},
		},
		{
			name:     "explicit entry conflicting with the derived one (string)",
			pm:       ParseProjectMappings("p-abc=p-other,c-111:p-abc=c-222:p-xyz"),
			problems: []string{`"c-111:p-abc" maps to "c-222:p-xyz" but "p-abc" maps to "p-other"`},
		},
		{
			name:     "two cluster-qualified entries deriving conflicting entries",
			pm:       NewProjectMappings(map[string]string{"c-1:p-a": "c-2:p-b", "c-3:p-a": "c-2:p-c"}),
			problems: []string{`project "p-a" is mapped to both "p-b" and "p-c" by cluster-qualified entries`},
		},
		{
			name:     "cluster-qualified key mapped to a project-only value",
			pm:       ParseProjectMappings("c-111:p-abc=p-xyz"),
			problems: []string{`"c-111:p-abc" maps a cluster-qualified project to "p-xyz", which is not cluster-qualified (want c-xxxxx:p-xxxxx)`},
		},
		{
			name:     "project-only key mapped to a cluster-qualified value",
			pm:       NewProjectMappings(map[string]string{"p-abc": "c-222:p-xyz"}),
			problems: []string{`"p-abc" maps a project ID to "c-222:p-xyz", which is cluster-qualified: Stork writes it into project labels, whose values cannot contain ':' (want p-xxxxx)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problems := tt.pm.Resolve()
			if !reflect.DeepEqual(problems, tt.problems) {
				t.Errorf("problems = %q\n want %q", problems, tt.problems)
			}
			if tt.problems != nil {
				if got != nil {
					t.Errorf("mappings = %v, want nil with problems", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("mappings = %v, want %v", got, tt.want)
			}
			// Resolving is repeatable and does not change the receiver.
			again, problems := tt.pm.Resolve()
			if problems != nil || !reflect.DeepEqual(again, tt.want) {
				t.Errorf("second Resolve = %v %q", again, problems)
			}
		})
	}
}

func TestNewProjectMappingsCopies(t *testing.T) {
	m := map[string]string{"p-a": "p-b"}
	pm := NewProjectMappings(m)
	m["p-a"] = "p-changed"
	m["p-new"] = "p-x"
	got, _ := pm.Resolve()
	if !reflect.DeepEqual(got, map[string]string{"p-a": "p-b"}) {
		t.Errorf("mappings follow the caller's map: %v", got)
	}
	// Nor can the caller change the mappings through Resolve's result.
	got["p-a"] = "p-mutated"
	again, _ := pm.Resolve()
	if again["p-a"] != "p-b" {
		t.Errorf("Resolve returned the internal map: %v", again)
	}
}

func TestProjectMappingsIsZero(t *testing.T) {
	tests := []struct {
		name string
		pm   ProjectMappings
		want bool
	}{
		{"zero value", ProjectMappings{}, true},
		{"nil map", NewProjectMappings(nil), true},
		{"empty map", NewProjectMappings(map[string]string{}), true},
		{"empty string is given, not zero", ParseProjectMappings(""), false},
		{"string", ParseProjectMappings("p-a=p-b"), false},
		{"map", NewProjectMappings(map[string]string{"p-a": "p-b"}), false},
	}
	for _, tt := range tests {
		if got := tt.pm.IsZero(); got != tt.want {
			t.Errorf("%s: IsZero() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestProjectMappingsUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name     string
		json     string
		want     map[string]string // after Resolve
		problems []string
		zero     bool
		err      string
	}{
		{name: "object", json: `{"p-a":"p-b","c-1:p-a":"c-2:p-b"}`, want: map[string]string{"p-a": "p-b", "c-1:p-a": "c-2:p-b"}},
		{name: "object with spaces around", json: " \n{\"p-a\": \"p-b\"}\n", want: map[string]string{"p-a": "p-b"}},
		{name: "string", json: `"p-abc=p-xyz,c-111:p-abc=c-222:p-xyz"`, want: map[string]string{"p-abc": "p-xyz", "c-111:p-abc": "c-222:p-xyz"}},
		{name: "string with escapes", json: `"p-a=p-b\u002cp-c=p-d"`, want: map[string]string{"p-a": "p-b", "p-c": "p-d"}},
		{name: "string kept untrimmed", json: `"p-a=p-b "`, problems: []string{`element 1 value "p-b ": must not contain whitespace (nothing is trimmed)`}},
		{name: "empty string", json: `""`, problems: []string{"the string is empty"}},
		{name: "empty object", json: `{}`, zero: true, want: map[string]string{}},
		{name: "null", json: `null`, zero: true, want: map[string]string{}},
		{name: "number", json: `5`, err: `projectMappings must be a map of strings or a string like "p-a=p-b,c-1:p-a=c-2:p-b"`},
		{name: "list", json: `["p-a=p-b"]`, err: "projectMappings must be a map of strings or a string"},
		{name: "bool", json: `true`, err: "projectMappings must be a map of strings or a string"},
		{name: "object with a number value", json: `{"p-a":1}`, err: "projectMappings must be a map of strings or a string"},
		{name: "object with a nested object", json: `{"p-a":{"x":"y"}}`, err: "projectMappings must be a map of strings or a string"},
		{name: "broken string", json: `"p-a=p-b`, err: "unexpected end of JSON input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Start from a non-zero value: UnmarshalJSON must replace it entirely.
			pm := NewProjectMappings(map[string]string{"p-old": "p-old2"})
			err := pm.UnmarshalJSON([]byte(tt.json))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if pm.IsZero() != tt.zero {
				t.Errorf("IsZero() = %v, want %v", pm.IsZero(), tt.zero)
			}
			got, problems := pm.Resolve()
			if !reflect.DeepEqual(problems, tt.problems) {
				t.Errorf("problems = %q, want %q", problems, tt.problems)
			}
			if tt.problems == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("mappings = %v, want %v", got, tt.want)
			}
		})
	}
}

// Through encoding/json, as Decode uses it, the field accepts both forms.
func TestProjectMappingsInRancher(t *testing.T) {
	for _, doc := range []string{
		`{"projectMappings":{"c-1:p-a":"c-2:p-b"}}`,
		`{"projectMappings":"c-1:p-a=c-2:p-b"}`,
	} {
		var r Rancher
		if err := json.Unmarshal([]byte(doc), &r); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		got, problems := r.ProjectMappings.Resolve()
		want := map[string]string{"c-1:p-a": "c-2:p-b", "p-a": "p-b"}
		if problems != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %q, want %v", doc, got, problems, want)
		}
	}
	var r Rancher
	if err := json.Unmarshal([]byte(`{"projectMappings":null}`), &r); err != nil || !r.ProjectMappings.IsZero() {
		t.Errorf("null: %v, IsZero=%v", err, r.ProjectMappings.IsZero())
	}
}

func TestProjectMappingsMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		pm   ProjectMappings
		want string
		err  string
	}{
		{"map", NewProjectMappings(map[string]string{"p-b": "p-y", "p-a": "p-x"}), `{"p-a":"p-x","p-b":"p-y"}`, ""},
		{"string written as an object", ParseProjectMappings("p-a=p-x,p-b=p-y"), `{"p-a":"p-x","p-b":"p-y"}`, ""},
		{"derived entry included", ParseProjectMappings("c-1:p-a=c-2:p-x"), `{"c-1:p-a":"c-2:p-x","p-a":"p-x"}`, ""},
		{"zero value", ProjectMappings{}, `{}`, ""},
		{"invalid string", ParseProjectMappings("p-a=p-x,"), "", "invalid projectMappings: element 2 is empty (stray comma?)"},
		{"invalid map", NewProjectMappings(map[string]string{"p-a": ""}), "", `invalid projectMappings: value of "p-a": must not be empty`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.pm)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || string(data) != tt.want {
				t.Fatalf("Marshal = %s, %v; want %s", data, err, tt.want)
			}
			// Round trip: what is written decodes to the same mappings.
			var back ProjectMappings
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			want, _ := tt.pm.Resolve()
			got, problems := back.Resolve()
			if problems != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("round trip = %v %q, want %v", got, problems, want)
			}
		})
	}
	// Inside the request type the field is written as an object too.
	data, err := json.Marshal(Rancher{ProjectMappings: ParseProjectMappings("p-a=p-b")})
	if err != nil || string(data) != `{"projectMappings":{"p-a":"p-b"}}` {
		t.Errorf("Rancher marshal = %s, %v", data, err)
	}
}
