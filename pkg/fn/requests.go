package fn

import (
	"fmt"
	"sort"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

const (
	// PackagePathAnnotation is set by kpt render on the items and the
	// functionConfig: the absolute directory of the package.
	PackagePathAnnotation = "internal.config.kubernetes.io/package-path"
	// LocalConfigAnnotation marks client-side-only objects.
	LocalConfigAnnotation = "config.kubernetes.io/local-config"
	// PathAnnotation is the object's file, relative to its package.
	PathAnnotation       = "internal.config.kubernetes.io/path"
	legacyPathAnnotation = "config.kubernetes.io/path"
)

// request is one ClusterPairRequest found in the input.
type request struct {
	// object is the KRM object as received.
	object *sdk.KubeObject
	// item is true when object is one of rl.Items (false: only the functionConfig).
	item bool
	// file is the request's file relative to the root, from its path
	// annotations, if known and inside the root.
	file string
	// index is the request's index annotation, or -1.
	index int
	// dir is the directory the request's files resolve against, relative
	// to the processor's root (slash-separated; "." for the root itself).
	dir string
	// misplaced is set when the request's annotations place it outside the
	// root: the request is refused before any file is opened.
	misplaced *diag.Finding
	// fromFile is set for a request its caller read from a file
	// (RenderFiles): its annotations do not place it, and its rendered
	// objects get no path annotation.
	fromFile bool
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
// so that results do not depend on input order. Each is located inside the
// root by locate.
func findRequests(rl *sdk.ResourceList, locate locator) []request {
	var out []request
	seen := map[string]bool{}
	for _, item := range rl.Items {
		if isRequest(item) {
			out = append(out, newRequest(item, true, locate))
			seen[item.GetNamespace()+"/"+item.GetName()] = true
		}
	}
	if fc := rl.FunctionConfig; fc != nil && isRequest(fc) && !seen[fc.GetNamespace()+"/"+fc.GetName()] {
		out = append(out, newRequest(fc, false, locate))
	}
	sort.SliceStable(out, func(i, j int) bool { return requestLess(out[i], out[j]) })
	return out
}

// requestLess orders requests by namespace, name and file, so that results
// do not depend on input order.
func requestLess(a, b request) bool {
	if a.namespace() != b.namespace() {
		return a.namespace() < b.namespace()
	}
	if a.name() != b.name() {
		return a.name() < b.name()
	}
	return a.file < b.file
}

func newRequest(o *sdk.KubeObject, item bool, locate locator) request {
	req := request{object: o, item: item, index: o.IndexAnnotation()}
	loc, f := locate(o)
	if f != nil {
		req.misplaced = f
		req.dir = "."
		return req
	}
	req.file, req.dir = loc.file, loc.dir
	return req
}

// countRequests counts the requests in rl without decoding any of them.
func countRequests(rl *sdk.ResourceList) int {
	n := 0
	for _, item := range rl.Items {
		if isRequest(item) {
			n++
		}
	}
	if fc := rl.FunctionConfig; fc != nil && isRequest(fc) {
		n++ // at most one too many when it is also an item: a bound, not a count
	}
	return n
}

// duplicates returns the index of every request whose namespace/name
// another request has (requests are sorted, so equal identities are
// adjacent).
func duplicates(requests []request) []int {
	var out []int
	for i := range requests {
		same := func(j int) bool {
			return j >= 0 && j < len(requests) && requests[j].namespace() == requests[i].namespace() && requests[j].name() == requests[i].name()
		}
		if same(i-1) || same(i+1) {
			out = append(out, i)
		}
	}
	return out
}
