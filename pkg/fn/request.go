package fn

import (
	"fmt"
	"path"
	"sort"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
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

// Request is one ClusterPairRequest of a run: where it was found and,
// once Decode has run, the request itself. Every renderer decodes a
// request once, however many sides it renders.
type Request struct {
	// Loaded is the decoded and defaulted request; nil until decoded, or
	// when it does not decode.
	Loaded *v1alpha1.ClusterPairRequest

	// object is the KRM object as received.
	object *sdk.KubeObject
	// item is true when object is one of rl.Items (false: only the
	// functionConfig, or read from a file).
	item bool
	// file is the request's file relative to the root, if known.
	file string
	// index is the request's index annotation (in its file), or -1.
	index int
	// dir is the directory the request's files resolve against, relative
	// to the root (slash-separated; "." for the root itself).
	dir string
	// misplaced is set when the request cannot be placed inside the root:
	// it is refused before any file is opened.
	misplaced *diag.Finding
	// fromFile is true for a request its caller read from a file
	// (FileRequest): its annotations do not place it, and its rendered
	// objects get no path annotation.
	fromFile bool
	// decoded are the findings of Decode.
	decoded diag.Findings
	// earlier indexes the run's SOPS-encrypted input items (earlier
	// encrypted output) by identity.
	earlier map[objectID]*sdk.KubeObject
}

// RequestID identifies a request of the input.
type RequestID struct {
	// Namespace and Name are the request's metadata.
	Namespace, Name string
	// File is the request's file relative to the root ("" when unknown).
	File string
	// Index is the request's index annotation, or -1.
	Index int
}

// ID identifies the request.
func (r *Request) ID() RequestID {
	return RequestID{Namespace: r.object.GetNamespace(), Name: r.object.GetName(), File: r.file, Index: r.index}
}

// FileRequest is a ClusterPairRequest that a caller read from a file under
// the render root itself (build, check, new), rather than received in a
// ResourceList: its place is the file, not its annotations.
type FileRequest struct {
	// Object is the document as read.
	Object *sdk.KubeObject
	// File is the file, relative to the root (slash-separated); the
	// request's references resolve against its directory.
	File string
	// Index is the document's index in File.
	Index int
}

// DecodeFile is the find and decode steps for a request read from a file:
// the Request, decoded once (its Loaded is nil when it does not decode).
func DecodeFile(f FileRequest) *Request {
	r := &Request{object: f.Object, item: true, file: f.File, index: f.Index, dir: path.Dir(f.File), fromFile: true}
	r.decode()
	return r
}

func (r *Request) ref() *sdk.ResourceRef {
	return &sdk.ResourceRef{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind, Name: r.object.GetName(), Namespace: r.object.GetNamespace()}
}

// String names the request and, when known, its file, for log lines.
func (r *Request) String() string {
	id := r.object.GetName()
	if ns := r.object.GetNamespace(); ns != "" {
		id = ns + "/" + id
	}
	if r.file != "" {
		return fmt.Sprintf("ClusterPairRequest %s (%s)", id, r.file)
	}
	return "ClusterPairRequest " + id
}

// decode is the decode step: one parse of the object (v1alpha1.Load),
// defaulted and validated.
func (r *Request) decode() {
	r.Loaded, r.decoded = v1alpha1.Load([]byte(r.object.String()))
}

// isRequest matches the exact apiVersion and kind (the SDK's IsGVK treats an
// object's empty fields as wildcards).
func isRequest(o *sdk.KubeObject) bool {
	return o.GetAPIVersion() == v1alpha1.APIVersion && o.GetKind() == v1alpha1.Kind
}

// refuseOtherVersions finds a request of our group in a version this build
// does not know, which must not be skipped silently.
func refuseOtherVersions(objects sdk.KubeObjects) *diag.Finding {
	for _, o := range objects {
		if o != nil && o.GetKind() == v1alpha1.Kind && strings.HasPrefix(o.GetAPIVersion(), v1alpha1.Group+"/") && o.GetAPIVersion() != v1alpha1.APIVersion {
			return &diag.Finding{Severity: diag.Error, Field: "apiVersion", Message: fmt.Sprintf("%s %s/%s has apiVersion %q; this clusterpair-fn understands %s only", v1alpha1.Kind, o.GetNamespace(), o.GetName(), o.GetAPIVersion(), v1alpha1.APIVersion)}
		}
	}
	return nil
}

// findRequests is the find step: the requests among the items plus the
// functionConfig when it is a request not already among them, refused as a
// whole for a request of an unknown version or more than limit of them
// (counted before any is decoded).
func findRequests(rl *sdk.ResourceList, limits secrets.Limits) ([]*Request, *diag.Finding) {
	if f := refuseOtherVersions(append(sdk.KubeObjects{rl.FunctionConfig}, rl.Items...)); f != nil {
		return nil, f
	}
	var out []*Request
	seen := map[string]bool{}
	for _, item := range rl.Items {
		if isRequest(item) {
			out = append(out, &Request{object: item, item: true, index: item.IndexAnnotation()})
			seen[item.GetNamespace()+"/"+item.GetName()] = true
		}
	}
	if fc := rl.FunctionConfig; fc != nil && isRequest(fc) && !seen[fc.GetNamespace()+"/"+fc.GetName()] {
		out = append(out, &Request{object: fc, index: fc.IndexAnnotation()})
	}
	if len(out) > limits.MaxRequests {
		return nil, tooManyRequests(len(out), limits)
	}
	return out, nil
}

// tooManyRequests is the run's finding for an input over the request limit.
func tooManyRequests(n int, limits secrets.Limits) *diag.Finding {
	return &diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("the input holds %d ClusterPairRequests; one run renders at most %d (raise it with --max-requests or CLUSTERPAIR_FN_MAX_REQUESTS, or split the render)", n, limits.MaxRequests)}
}

// locate is the locate step: it places a request from its path
// annotations, which only the operator's root bounds. The input (the
// request and every annotation kpt or kustomize put on it) is the
// repository's and may be anyone's, so an annotation may name a place
// inside the root and nowhere else. Nothing is read here: the request's
// directory is only opened, beneath the root, to prove that it is there
// (secrets.Root.Sub follows no symlink out of it). A request read from a
// file is placed by its file alone.
func locate(root *secrets.Root, r *Request) {
	r.dir = "."
	if r.fromFile {
		r.dir = path.Dir(r.file)
		if err := openable(root, r.dir); err != nil {
			r.misplaced = &diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("its directory %q cannot be opened inside %s (%s); nothing was read", r.dir, root.Dir(), err)}
		}
		return
	}
	base, placedBy := ".", ""
	if pkg := r.object.GetAnnotation(PackagePathAnnotation); pkg != "" {
		rel, ok := root.Rel(pkg)
		if !ok {
			r.misplaced = misplaced(PackagePathAnnotation, pkg, root, "is not a directory inside it")
			return
		}
		base, placedBy = rel, PackagePathAnnotation
	}
	for _, name := range []string{PathAnnotation, legacyPathAnnotation} {
		value := r.object.GetAnnotation(name)
		if value == "" {
			continue
		}
		if msg := v1alpha1.CheckRelativePath(value); msg != "" {
			r.misplaced = misplaced(name, value, root, msg)
			return
		}
		if r.file == "" {
			r.file = value
			if path.Dir(path.Clean(value)) != "." {
				placedBy = name
			}
		}
	}
	r.dir = base
	if r.file != "" {
		r.dir = path.Join(base, path.Dir(path.Clean(r.file)))
	}
	if err := openable(root, r.dir); err != nil {
		r.misplaced = misplaced(placedBy, r.dir, root, "cannot be opened inside it ("+err.Error()+")")
	}
}

// openable opens dir beneath the root, through any symlink, to prove that
// it is inside it.
func openable(root *secrets.Root, dir string) error {
	if dir == "." {
		return nil
	}
	sub, err := root.Sub(dir)
	if err != nil {
		return err
	}
	return sub.Close()
}

// misplaced is the error finding for an annotation that places a request
// outside the root.
func misplaced(annotation, value string, root *secrets.Root, why string) *diag.Finding {
	return &diag.Finding{
		Severity: diag.Error,
		Field:    "metadata.annotations[" + annotation + "]",
		Message: fmt.Sprintf("%q %s: a request's files are read only inside the directory the renderer confines them to (%s: the directory it runs in, or --root), and annotations cannot move a request out of it; nothing was read",
			value, why, root.Dir()),
	}
}

// sortRequests orders requests by namespace, name and file, so that
// results do not depend on input order.
func sortRequests(requests []*Request) {
	sort.SliceStable(requests, func(i, j int) bool {
		a, b := requests[i].ID(), requests[j].ID()
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.File < b.File
	})
}

// refuseMisplaced returns the findings that keep a run from rendering any
// request: one placed outside the root, or two of the same identity
// (requests are sorted, so equal identities are adjacent). Each request's
// finding is at its index; ok is false when there is any.
func refuseMisplaced(requests []*Request) ([]diag.Findings, bool) {
	out := make([]diag.Findings, len(requests))
	ok := true
	for i, r := range requests {
		if r.misplaced != nil {
			out[i], ok = diag.Findings{*r.misplaced}, false
		}
	}
	if !ok {
		return out, false
	}
	same := func(i, j int) bool {
		return j >= 0 && j < len(requests) && requests[i].ID().Namespace == requests[j].ID().Namespace && requests[i].ID().Name == requests[j].ID().Name
	}
	for i := range requests {
		if same(i, i-1) || same(i, i+1) {
			out[i], ok = diag.Findings{{Severity: diag.Error, Field: "metadata.name", Message: "more than one ClusterPairRequest has this namespace and name; each renders a ClusterPair of that identity"}}, false
		}
	}
	return out, ok
}
