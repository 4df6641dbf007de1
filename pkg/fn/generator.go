package fn

import (
	"reflect"

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
	a, errA := normalized([]byte(item.String()))
	b, errB := normalized([]byte(fc.String()))
	if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
		return nil
	}
	return item
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
