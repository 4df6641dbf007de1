package v1alpha1

import (
	"sort"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// The annotations clusterpair-fn writes on a rendered ClusterPair from
// spec.gitopsEngines (see pkg/transform).
const (
	// AnnotationArgoCDSyncOptions is Argo CD's per-resource sync options.
	AnnotationArgoCDSyncOptions = "argocd.argoproj.io/sync-options"
	// AnnotationFluxForce is Flux's per-resource force (recreate) switch.
	AnnotationFluxForce = "kustomize.toolkit.fluxcd.io/force"
)

// OwnedAnnotations are the annotation keys of a rendered ClusterPair that
// clusterpair-fn sets from a request field; the request's own metadata may
// not carry them (it is never applied, so they would do nothing there).
var OwnedAnnotations = map[string]string{
	AnnotationArgoCDSyncOptions: "spec.gitopsEngines",
	AnnotationFluxForce:         "spec.gitopsEngines",
}

func validateGitOpsEngines(fs *diag.Findings, engines []GitOpsEngine) {
	seen := map[GitOpsEngine]bool{}
	for i, e := range engines {
		field := "spec.gitopsEngines[" + itoa(i) + "]"
		switch {
		case !containsEngine(GitOpsEngines, e):
			fs.Errorf(field, "%q is not supported: use %s (or omit spec.gitopsEngines for both)", e, joinEngines())
		case seen[e]:
			fs.Errorf(field, "%q is listed twice", e)
		}
		seen[e] = true
	}
}

// validateOwnedAnnotations refuses, on the request itself, the annotations
// the renderer owns: the request's metadata is not copied to the pair, so
// such an annotation would silently do nothing.
func validateOwnedAnnotations(fs *diag.Findings, annotations map[string]string) {
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		if _, owned := OwnedAnnotations[k]; owned {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fs.Errorf("metadata.annotations["+k+"]", "is written on the rendered ClusterPair by clusterpair-fn from %s, and the request's own annotations are not copied to it: remove it here and choose the engines with %s", OwnedAnnotations[k], OwnedAnnotations[k])
	}
}

func containsEngine(list []GitOpsEngine, e GitOpsEngine) bool {
	for _, x := range list {
		if x == e {
			return true
		}
	}
	return false
}

func joinEngines() string {
	parts := make([]string, len(GitOpsEngines))
	for i, e := range GitOpsEngines {
		parts[i] = string(e)
	}
	return strings.Join(parts, " or ")
}
