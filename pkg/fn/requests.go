package fn

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

const (
	// PackagePathAnnotation is set by kpt render on the items and the
	// functionConfig: the absolute directory of the package.
	PackagePathAnnotation = "internal.config.kubernetes.io/package-path"
	// LocalConfigAnnotation marks client-side-only objects.
	LocalConfigAnnotation = "config.kubernetes.io/local-config"
	legacyPathAnnotation  = "config.kubernetes.io/path"
)

// request is one ClusterPairRequest found in the input.
type request struct {
	// object is the KRM object as received.
	object *sdk.KubeObject
	// item is true when object is one of rl.Items (false: only the functionConfig).
	item bool
	// file is the request's path annotation, relative to the package, if known.
	file string
	// index is the request's index annotation, or -1.
	index int
	// dir is the directory relative paths of the request resolve against.
	dir string
}

func (r request) namespace() string { return r.object.GetNamespace() }
func (r request) name() string      { return r.object.GetName() }

func (r request) ref() *sdk.ResourceRef {
	return &sdk.ResourceRef{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Name: r.name(), Namespace: r.namespace()}
}

// String names the request and, when known, its file, for log lines.
func (r request) String() string {
	id := r.name()
	if ns := r.namespace(); ns != "" {
		id = ns + "/" + id
	}
	if r.file != "" {
		return fmt.Sprintf("ClusterPairRequest %s (%s)", id, r.file)
	}
	return "ClusterPairRequest " + id
}

// isRequest matches the exact apiVersion and kind (the SDK's IsGVK treats an
// object's empty fields as wildcards).
func isRequest(o *sdk.KubeObject) bool {
	return o.GetAPIVersion() == v1alpha1.APIVersion && o.GetKind() == v1alpha1.Kind
}

// isOtherVersion matches requests of our group in a version this build does
// not know, which must not be skipped silently.
func isOtherVersion(o *sdk.KubeObject) bool {
	return o.GetKind() == v1alpha1.Kind && strings.HasPrefix(o.GetAPIVersion(), v1alpha1.Group+"/") && o.GetAPIVersion() != v1alpha1.APIVersion
}

// findRequests returns the requests among the items plus the functionConfig
// when it is a request not already among them, ordered by namespace and name
// so that results do not depend on input order.
func findRequests(rl *sdk.ResourceList, workDir string) []request {
	var out []request
	seen := map[string]bool{}
	for _, item := range rl.Items {
		if isRequest(item) {
			out = append(out, newRequest(item, true, workDir))
			seen[item.GetNamespace()+"/"+item.GetName()] = true
		}
	}
	if fc := rl.FunctionConfig; fc != nil && isRequest(fc) && !seen[fc.GetNamespace()+"/"+fc.GetName()] {
		out = append(out, newRequest(fc, false, workDir))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].namespace() != out[j].namespace() {
			return out[i].namespace() < out[j].namespace()
		}
		if out[i].name() != out[j].name() {
			return out[i].name() < out[j].name()
		}
		return out[i].file < out[j].file
	})
	return out
}

func newRequest(o *sdk.KubeObject, item bool, workDir string) request {
	file := o.PathAnnotation()
	if file == "" {
		file = o.GetAnnotation(legacyPathAnnotation)
	}
	base := workDir
	if pkg := o.GetAnnotation(PackagePathAnnotation); pkg != "" {
		base = pkg
	}
	dir := base
	if file != "" {
		dir = filepath.Join(base, filepath.FromSlash(path.Dir(file)))
	}
	return request{object: o, item: item, file: file, index: o.IndexAnnotation(), dir: dir}
}

// duplicates returns every request whose namespace/name another request has
// (requests are sorted, so equal identities are adjacent).
func duplicates(requests []request) []request {
	var out []request
	for i := range requests {
		same := func(j int) bool {
			return j >= 0 && j < len(requests) && requests[j].namespace() == requests[i].namespace() && requests[j].name() == requests[i].name()
		}
		if same(i-1) || same(i+1) {
			out = append(out, requests[i])
		}
	}
	return out
}
