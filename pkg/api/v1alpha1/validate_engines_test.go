package v1alpha1

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultGitOpsEngines(t *testing.T) {
	r := validRequest()
	r.Default()
	if want := []GitOpsEngine{EngineArgoCD, EngineFlux}; !reflect.DeepEqual(r.Spec.GitOpsEngines, want) {
		t.Fatalf("default gitopsEngines = %v, want %v", r.Spec.GitOpsEngines, want)
	}
	// The default is a copy: changing it does not change the package's list.
	r.Spec.GitOpsEngines[0] = "x"
	if GitOpsEngines[0] != EngineArgoCD {
		t.Fatal("Default shares GitOpsEngines with the request")
	}
	for _, given := range [][]GitOpsEngine{{EngineFlux}, {EngineArgoCD}, {EngineFlux, EngineArgoCD}} {
		r := validRequest()
		r.Spec.GitOpsEngines = append([]GitOpsEngine(nil), given...)
		r.Default()
		r.Default()
		if !reflect.DeepEqual(r.Spec.GitOpsEngines, given) {
			t.Errorf("Default changed gitopsEngines %v to %v", given, r.Spec.GitOpsEngines)
		}
	}
}

func TestValidateGitOpsEngines(t *testing.T) {
	tests := []struct {
		name        string
		engines     []GitOpsEngine
		annotations map[string]string
		want        []expect
	}{
		{name: "argocd", engines: []GitOpsEngine{EngineArgoCD}},
		{name: "flux", engines: []GitOpsEngine{EngineFlux}},
		{name: "both", engines: []GitOpsEngine{EngineFlux, EngineArgoCD}},
		{name: "omitted", engines: nil},
		{name: "unknown", engines: []GitOpsEngine{EngineFlux, "fluxcd"},
			want: []expect{errorOn("spec.gitopsEngines[1]", `"fluxcd" is not supported: use argocd or flux (or omit spec.gitopsEngines for both)`)}},
		{name: "case matters", engines: []GitOpsEngine{"ArgoCD"},
			want: []expect{errorOn("spec.gitopsEngines[0]", `"ArgoCD" is not supported`)}},
		{name: "empty string", engines: []GitOpsEngine{""},
			want: []expect{errorOn("spec.gitopsEngines[0]", `"" is not supported`)}},
		{name: "duplicate", engines: []GitOpsEngine{EngineArgoCD, EngineFlux, EngineArgoCD},
			want: []expect{errorOn("spec.gitopsEngines[2]", `"argocd" is listed twice`)}},
		{name: "request annotations the renderer owns",
			annotations: map[string]string{
				"kustomize.toolkit.fluxcd.io/force": "enabled",
				"argocd.argoproj.io/sync-options":   "Force=true",
				"config.kubernetes.io/local-config": "true",
				"example.com/other":                 "kept",
			},
			want: []expect{
				errorOn("metadata.annotations[argocd.argoproj.io/sync-options]", "is written on the rendered ClusterPair by clusterpair-fn from spec.gitopsEngines"),
				errorOn("metadata.annotations[kustomize.toolkit.fluxcd.io/force]", "choose the engines with spec.gitopsEngines"),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validRequest()
			r.Spec.GitOpsEngines = tt.engines
			r.Metadata.Annotations = tt.annotations
			checkFindings(t, r.Validate(), tt.want)
		})
	}
}

func TestDecodeGitOpsEngines(t *testing.T) {
	base := header + "spec:\n  destination: {kubeconfig: {file: kc.yaml}}\n  mode: sync-dr\n"
	r, fs, err := Decode([]byte(base + "  gitopsEngines: [flux]\n"))
	if err != nil || len(fs) > 0 {
		t.Fatalf("decode: %v %v", err, fs)
	}
	if !reflect.DeepEqual(r.Spec.GitOpsEngines, []GitOpsEngine{EngineFlux}) {
		t.Fatalf("gitopsEngines = %v", r.Spec.GitOpsEngines)
	}
	// A single string is not a list: a type error naming the field.
	if _, _, err := Decode([]byte(base + "  gitopsEngines: flux\n")); err == nil {
		t.Fatal("a string gitopsEngines decoded")
	} else if !strings.Contains(err.Error(), "spec.gitopsEngines") {
		t.Fatalf("error %q does not name spec.gitopsEngines", err)
	}
	// An empty list is the default, as omitting it.
	r, _, err = Decode([]byte(base + "  gitopsEngines: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	r.Default()
	if !reflect.DeepEqual(r.Spec.GitOpsEngines, GitOpsEngines) {
		t.Fatalf("gitopsEngines [] defaults to %v", r.Spec.GitOpsEngines)
	}
}
