package fn

import (
	"fmt"
	"path"
	"sort"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// FileRequest is a ClusterPairRequest that a caller read from a file under
// the processor's Root itself (build, check), rather than received in a
// ResourceList: its place is the file, not its annotations.
type FileRequest struct {
	// Object is the document as read.
	Object *sdk.KubeObject
	// File is the file, relative to Root (slash-separated); the request's
	// references resolve against its directory.
	File string
	// Index is the document's index in File.
	Index int
}

// RenderFiles renders requests read from files under Root, as Process
// renders the requests of a ResourceList (versions, limits, confinement,
// sides, encryption, findings), and returns the typed outcome. A request's
// path annotations are ignored: the caller says where it was read, and only
// that directory inside Root is searched for its files. Rendered objects
// carry no path annotation (see RequestRendering.Objects).
//
// The error is not about a request: the root cannot be opened, or
// secrets.ErrNeedsFullSOPS (see Render).
func (p *Processor) RenderFiles(files []FileRequest) (*Rendering, error) {
	objects := make(sdk.KubeObjects, len(files))
	for i, f := range files {
		objects[i] = f.Object
	}
	if f := refuseOtherVersions(objects); f != nil {
		return &Rendering{Findings: diag.Findings{*f}}, nil
	}
	requests := make([]request, 0, len(files))
	for _, f := range files {
		if isRequest(f.Object) {
			requests = append(requests, request{object: f.Object, item: true, file: f.File, index: f.Index, dir: path.Dir(f.File), fromFile: true})
		}
	}
	limits := p.Limits.WithDefaults()
	if len(requests) > limits.MaxRequests {
		run := tooManyRequests(len(requests), limits)
		return &run, nil
	}
	root, err := secrets.OpenRoot(p.Root)
	if err != nil {
		return nil, fmt.Errorf("opening the render root: %w", err)
	}
	defer root.Close()
	for i := range requests {
		if d := requests[i].dir; d != "." {
			sub, err := root.Sub(d)
			if err != nil {
				requests[i].misplaced = &diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("its directory %q cannot be opened inside %s (%s); nothing was read", d, root.Dir(), err)}
				continue
			}
			_ = sub.Close()
		}
	}
	sort.SliceStable(requests, func(i, j int) bool { return requestLess(requests[i], requests[j]) })
	run, ok := locateRequests(requests)
	if !ok {
		return &run, nil
	}
	out, err := p.renderLocated(root, nil, run, true)
	return &out, err
}
