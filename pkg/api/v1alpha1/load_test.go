package v1alpha1

import (
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	head := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: dr\n  namespace: app\n"
	cases := []struct {
		name       string
		doc        string
		decoded    bool
		wantErrors []string
	}{
		{"valid", head + "spec:\n  mode: migration\n  destination:\n    kubeconfig:\n      file: k.yaml\n  storage:\n    ip: px.example.com\n    token:\n      file: t.enc\n", true, nil},
		{"not YAML", "{{{", false, []string{""}},
		{"unknown field and a validation error in one run", head + "spec:\n  mode: migration\n  destinaton: {}\n", true, []string{"spec.destinaton", "spec.destination"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, fs := Load([]byte(tc.doc))
			if (req != nil) != tc.decoded {
				t.Fatalf("decoded = %v, want %v (%v)", req != nil, tc.decoded, fs)
			}
			errs := fs.Errors()
			if len(errs) < len(tc.wantErrors) || len(tc.wantErrors) == 0 && len(errs) > 0 {
				t.Fatalf("errors = %v, want %d on %v", errs, len(tc.wantErrors), tc.wantErrors)
			}
			for _, field := range tc.wantErrors {
				found := false
				for _, e := range errs {
					found = found || strings.HasPrefix(e.Field, field)
				}
				if !found {
					t.Errorf("no error on %q in %v", field, errs)
				}
			}
			if req != nil && len(errs) == 0 && req.Spec.Destination.Kubeconfig.File != "k.yaml" {
				t.Errorf("request not decoded: %+v", req.Spec)
			}
		})
	}
}
