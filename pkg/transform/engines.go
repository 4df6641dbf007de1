package transform

import (
	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

const (
	// ArgoCDSyncOptions is the value of argocd.argoproj.io/sync-options on a
	// rendered pair. Force=true makes Argo CD's client-side apply (kubectl
	// apply --force) delete and recreate the pair when its patch is refused
	// as Invalid, which the ClusterPair admission policy does for a change of
	// spec.options. ServerSideApply=false keeps that client-side apply for
	// this resource when an Application enables server-side apply: under
	// server-side apply gitops-engine drops the force (kubectl refuses
	// --force with --server-side), and the refused apply would only fail.
	ArgoCDSyncOptions = "Force=true,ServerSideApply=false"
	// FluxForceEnabled is the value of kustomize.toolkit.fluxcd.io/force on
	// a rendered pair: kustomize-controller deletes the pair, waits for its
	// finalizer and applies it again when the server-side dry-run fails as
	// Invalid (the admission policy's refusal).
	FluxForceEnabled = "enabled"
)

// EngineAnnotations returns the annotations that make the given GitOps
// engines recreate a pair whose spec.options the admission policy refuses to
// change in place. No engine listed means the default, all of them. The
// result is a new map the caller may add to.
func EngineAnnotations(engines []v1alpha1.GitOpsEngine) map[string]string {
	if len(engines) == 0 {
		engines = v1alpha1.GitOpsEngines
	}
	out := map[string]string{}
	for _, e := range engines {
		switch e {
		case v1alpha1.EngineArgoCD:
			out[v1alpha1.AnnotationArgoCDSyncOptions] = ArgoCDSyncOptions
		case v1alpha1.EngineFlux:
			out[v1alpha1.AnnotationFluxForce] = FluxForceEnabled
		}
	}
	return out
}
