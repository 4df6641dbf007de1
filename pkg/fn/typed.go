package fn

import (
	"errors"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// Rendering is the typed outcome of a run over a ResourceList: what Process
// reports as results and adds to the items, before it is written into the
// ResourceList. Callers that render to inspect (check) read it instead of
// parsing the results and the rendered objects back.
type Rendering struct {
	// Findings are about the run rather than one request: a request in an
	// unknown version, too many requests, none found. A run with any stops
	// before locating requests, so its Requests are empty.
	Findings diag.Findings
	// Requests are the requests found, in the order Process reports them
	// (namespace, name, file).
	Requests []RequestRendering
}

// Failed reports whether the run or any request has an error finding.
func (r *Rendering) Failed() bool {
	if r.Findings.HasErrors() {
		return true
	}
	for i := range r.Requests {
		if r.Requests[i].Findings.HasErrors() {
			return true
		}
	}
	return false
}

// RequestRendering is the typed outcome of one request.
type RequestRendering struct {
	// Loaded is the request as v1alpha1.Load returned it (defaulted, maybe
	// with error findings); nil when it could not be decoded or the run
	// stopped before decoding it (a request placed outside the root, two
	// requests of one identity). Only Render sets it.
	Loaded *v1alpha1.ClusterPairRequest
	// Findings are the request's errors and warnings, in order; a finding
	// about a referenced file names it in File.
	Findings diag.Findings
	// Output is what the selected side rendered to, typed: the objects
	// before they are encoded and encrypted (spec.output.encrypt), so they
	// hold the credentials in plaintext. It is nil unless the request
	// rendered without error. Only Render sets it.
	Output *transform.Output

	req     request
	objects []*sdk.KubeObject
}

// Objects are the request's rendered objects as Process would add them to
// the items: encoded, encrypted when the request asks for it. Nil unless
// the request rendered without error.
func (r *RequestRendering) Objects() []*sdk.KubeObject { return r.objects }

// RequestID identifies a request of the input.
type RequestID struct {
	// Namespace and Name are the request's metadata.
	Namespace, Name string
	// File is the request's file relative to the root, from its path
	// annotations ("" when it has none).
	File string
	// Index is the request's index annotation, or -1.
	Index int
}

// Request identifies the request.
func (r *RequestRendering) Request() RequestID {
	return RequestID{Namespace: r.req.namespace(), Name: r.req.name(), File: r.req.file, Index: r.req.index}
}

// Render runs the steps of Process on rl (refuse unknown versions and
// oversized inputs, locate the requests inside the root, render them all)
// and returns their typed outcome, leaving rl unchanged: no result is added
// and no rendered object joins the items. The limits, the read budget and
// the confinement to Root are those of Process.
//
// The error is not about a request: the root cannot be opened (the
// Rendering is then nil), or secrets.ErrNeedsFullSOPS when this (lean)
// build needs the full one for some request; that Rendering is returned
// but holds this build's findings, which Process never reports: hand the
// run over instead.
func (p *Processor) Render(rl *sdk.ResourceList) (*Rendering, error) {
	run, err := p.render(rl, true)
	if err != nil && !errors.Is(err, secrets.ErrNeedsFullSOPS) {
		return nil, err
	}
	return &run, err
}
