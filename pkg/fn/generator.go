package fn

import (
	"maps"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

// Annotations that tell a kustomize generator run apart (kustomize v5,
// api/internal/plugins/fnplugin and kyaml's fn runtime).
const (
	// functionAnnotation and legacyFunctionAnnotation name the function to
	// run; kustomize runs a KRM function plugin only for a config that has
	// one (kyaml runtimeutil.GetFunctionSpec).
	functionAnnotation       = "config.kubernetes.io/function"
	legacyFunctionAnnotation = "config.k8s.io/function"
	// transformerIDAnnotation is set by kustomize on every item it passes
	// to a transformer, to map the output back onto its resources.
	transformerIDAnnotation = "kustomize.config.k8s.io/id"
)

// generatorConfigItem returns the one item of rl that is kustomize's copy of
// a generator's own configuration, or nil when rl is not what kustomize
// passes an exec or container generator.
//
// kustomize's FnPlugin.Generate (invokePlugin with no input) adds
// config.kubernetes.io/local-config: "true" to the generator's config,
// passes it as the functionConfig, and passes it again as the only item
// "only to bypass a kio limitation" (kio runs nothing without items); kyaml
// then adds index and id annotations to that item. The item is dropped by
// kustomize after the build (local-config), but echoing it back costs
// kustomize a schema-driven walk of it (kyaml copies comments and field
// order onto every output object carrying an id annotation, loading its
// OpenAPI schema), which is most of what a build spends after the function
// exits. So a generator run returns only what it generated.
//
// Everything must match: one item; item and functionConfig both
// ClusterPairRequests marked local-config and naming a function; the item
// without a file path, kpt's package path or kustomize's transformer id
// (kpt and transformer runs keep their items: kpt writes them back, and
// kustomize deletes a transformer's resources that are not returned); and
// the item equal to the functionConfig once kustomize's and kyaml's
// bookkeeping annotations are ignored. Anything else keeps the item, which
// is always correct, only slower under kustomize.
func generatorConfigItem(rl *sdk.ResourceList) *sdk.KubeObject {
	fc := rl.FunctionConfig
	if fc == nil || len(rl.Items) != 1 {
		return nil
	}
	item := rl.Items[0]
	if item == nil || !isRequest(fc) || !isRequest(item) {
		return nil
	}
	if fc.GetAnnotation(LocalConfigAnnotation) != "true" || item.GetAnnotation(LocalConfigAnnotation) != "true" {
		return nil
	}
	if fc.GetAnnotation(functionAnnotation) == "" && fc.GetAnnotation(legacyFunctionAnnotation) == "" {
		return nil
	}
	for _, a := range []string{sdk.PathAnnotation, legacyPathAnnotation, PackagePathAnnotation, transformerIDAnnotation} {
		if item.GetAnnotation(a) != "" || fc.GetAnnotation(a) != "" {
			return nil
		}
	}
	if !sameConfig(item, fc) {
		return nil
	}
	return item
}

// bookkeepingAnnotations are what kustomize and kyaml add to the item (and
// only to the item) of a generator run.
var bookkeepingAnnotations = map[string]bool{
	"config.kubernetes.io/index":                                      true,
	"internal.config.kubernetes.io/index":                             true,
	"internal.config.kubernetes.io/annotations-migration-resource-id": true,
	"internal.config.kubernetes.io/id":                                true,
	"config.k8s.io/id":                                                true,
}

// sameConfig reports whether item is config plus bookkeeping annotations:
// same identity, labels, other annotations and spec. (It compares what a
// request consists of, field by field, rather than re-encoding both objects:
// this check runs on every render.)
func sameConfig(item, config *sdk.KubeObject) bool {
	if idOf(item) != idOf(config) || !maps.Equal(item.GetLabels(), config.GetLabels()) {
		return false
	}
	annotations := item.GetAnnotations()
	maps.DeleteFunc(annotations, func(k, _ string) bool { return bookkeepingAnnotations[k] })
	if !maps.Equal(annotations, config.GetAnnotations()) {
		return false
	}
	a, okA := specOf(item)
	b, okB := specOf(config)
	return okA && okB && a == b
}

// specOf returns the object's spec as YAML ("" when it has none); false
// when spec is not a map.
func specOf(o *sdk.KubeObject) (string, bool) {
	spec, found, err := o.NestedSubObject("spec")
	if err != nil {
		return "", false
	}
	if !found {
		return "", true
	}
	return spec.String(), true
}

// withoutItem returns items less the object drop (compared by identity).
func withoutItem(items sdk.KubeObjects, drop *sdk.KubeObject) sdk.KubeObjects {
	out := make(sdk.KubeObjects, 0, len(items))
	for _, it := range items {
		if it != drop {
			out = append(out, it)
		}
	}
	return out
}
