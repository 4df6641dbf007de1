package v1alpha1

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// goldenRequests seeds fuzzers with every request of the golden cases.
func goldenRequests(f *testing.F) [][]byte {
	f.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "golden", "*", "request.yaml"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no golden requests to seed from: %v", err)
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// FuzzDecode feeds arbitrary documents through Decode, Default and Validate:
// none may panic, and a document that decodes must validate without panicking
// and default idempotently.
func FuzzDecode(f *testing.F) {
	for _, seed := range goldenRequests(f) {
		f.Add(seed)
	}
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nspec: {storage: {port: 99999999999999999999}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, _, err := Decode(data)
		if err != nil {
			if req != nil {
				t.Fatal("Decode returned a request with an error")
			}
			return
		}
		req.Default()
		first := req.Validate()
		req.Default()
		if again := req.Validate(); len(again) != len(first) {
			t.Fatalf("Default is not idempotent: %d then %d findings", len(first), len(again))
		}
	})
}

// FuzzProjectMappings parses arbitrary storkctl-style strings. Whatever is
// accepted must be free of empty or whitespace-carrying IDs, and every
// explicit element must survive unchanged.
func FuzzProjectMappings(f *testing.F) {
	for _, s := range []string{"p-abc=p-xyz", "p-abc=p-xyz,c-111:p-abc=c-222:p-xyz", "a=b,", "=b", "a=b=c", "a=b, c=d", "c-1:p-a=p-b", "p-a=p-b,p-a=p-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, problems := ParseProjectMappings(s).Resolve()
		if len(problems) > 0 {
			if m != nil {
				t.Fatal("mappings returned together with problems")
			}
			return
		}
		for k, v := range m {
			for _, id := range []string{k, v} {
				if id == "" || strings.IndexFunc(id, unicode.IsSpace) >= 0 || strings.ContainsAny(id, "=,") {
					t.Fatalf("accepted a bad project ID %q in %q", id, s)
				}
			}
		}
		for _, elem := range strings.Split(s, ",") {
			k, v, _ := strings.Cut(elem, "=")
			if m[k] != v {
				t.Fatalf("element %q of %q not kept: got %q", elem, s, m[k])
			}
		}
	})
}
