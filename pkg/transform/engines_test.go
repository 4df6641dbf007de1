package transform

import (
	"reflect"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// TestRenderEngineAnnotations: spec.gitopsEngines chooses the annotations
// the rendered pair carries, on both sides of a request; nothing else of the
// pair changes.
func TestRenderEngineAnnotations(t *testing.T) {
	const (
		argo = "argocd.argoproj.io/sync-options"
		flux = "kustomize.toolkit.fluxcd.io/force"
	)
	tests := []struct {
		name    string
		engines []v1alpha1.GitOpsEngine
		want    map[string]string
	}{
		{"default: both", nil, map[string]string{argo: "Force=true,ServerSideApply=false", flux: "enabled"}},
		{"both listed", []v1alpha1.GitOpsEngine{v1alpha1.EngineFlux, v1alpha1.EngineArgoCD}, map[string]string{argo: "Force=true,ServerSideApply=false", flux: "enabled"}},
		{"argocd only", []v1alpha1.GitOpsEngine{v1alpha1.EngineArgoCD}, map[string]string{argo: "Force=true,ServerSideApply=false"}},
		{"flux only", []v1alpha1.GitOpsEngine{v1alpha1.EngineFlux}, map[string]string{flux: "enabled"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(func(r *v1alpha1.ClusterPairRequest) { r.Spec.GitOpsEngines = tt.engines })
			req.Default()
			requireValidRequest(t, req)
			cp, fs := render(t, req, pxToken)
			requireNoFindings(t, fs)
			got := map[string]string{}
			for k, v := range cp.Metadata.Annotations {
				if k != AnnotationCredentialsExpire {
					got[k] = v
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("annotations = %v, want %v", got, tt.want)
			}
			if _, ok := cp.Metadata.Annotations[AnnotationCredentialsExpire]; !ok {
				t.Errorf("the expiry annotation is gone: %v", cp.Metadata.Annotations)
			}
		})
	}
}

// TestEngineAnnotationsCoverEveryEngine keeps the renderer in step with the
// API: every accepted engine renders at least one annotation, each key one
// the request may not set itself.
func TestEngineAnnotationsCoverEveryEngine(t *testing.T) {
	for _, e := range v1alpha1.GitOpsEngines {
		got := EngineAnnotations([]v1alpha1.GitOpsEngine{e})
		if len(got) == 0 {
			t.Errorf("engine %q renders no annotation", e)
		}
		for k := range got {
			if _, owned := v1alpha1.OwnedAnnotations[k]; !owned {
				t.Errorf("engine %q renders %s, which v1alpha1.OwnedAnnotations does not list", e, k)
			}
		}
	}
	// The map is the caller's to extend.
	a := EngineAnnotations(nil)
	a["x"] = "y"
	if _, ok := EngineAnnotations(nil)["x"]; ok {
		t.Error("EngineAnnotations returns a shared map")
	}
}
