package fn

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// ErrFailed is returned by Process when any request has an error; the
// details are in the ResourceList's results and on the log.
var ErrFailed = errors.New("clusterpair-fn: rendering failed")

// Processor is the KRM ResourceList processor.
type Processor struct {
	// Decryptor decrypts referenced files.
	Decryptor secrets.Decryptor
	// Encryptor encrypts the output of requests that set output.encrypt
	// (under the Decryptor's KeyPolicy, see secrets.PolicyOf). nil: such a
	// request fails with an error finding (secrets.ErrNoEncryptor); the
	// others render.
	Encryptor secrets.Encryptor
	// Root is the directory every file a request references must be in:
	// the operator's choice, never the input's (the working directory
	// kustomize or kpt runs the function in, or --root). A request's files
	// resolve against its own directory inside Root, which its path
	// annotations may name but never leave.
	Root string
	// Limits bound the work of one run; zero fields take the defaults.
	Limits Limits
	// Budget, when set, is the read budget this run shares with others
	// (check renders every request as a run of its own); nil gives the run
	// a budget of Limits.MaxReadBytes.
	Budget *secrets.Budget
	// Log receives one line per finding; usually stderr.
	Log io.Writer
	// Now returns the render time, for certificate validity checks; nil
	// means time.Now.
	Now func() time.Time
	// Side selects which pair of a bidirectional request to render:
	// transform.SideSource or transform.SideDestination. Empty renders the
	// source side of one-way requests and refuses bidirectional ones.
	Side transform.Side
}

// Process implements the KRM function over rl. It returns ErrFailed (with
// error results in rl) when any request fails, and leaves rl.Items without
// rendered objects in that case. The steps: refuse unknown versions and
// oversized inputs, locate the requests inside the root, render them all,
// report, and only then add the rendered objects to the items.
func (p *Processor) Process(rl *sdk.ResourceList) error {
	if p.refuseOtherVersions(rl) {
		return ErrFailed
	}
	limits := p.Limits.WithDefaults()
	if n := countRequests(rl); n > limits.MaxRequests {
		p.report(rl, nil, diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("the input holds %d ClusterPairRequests; one run renders at most %d (raise it with --max-requests or CLUSTERPAIR_FN_MAX_REQUESTS, or split the render)", n, limits.MaxRequests)})
		return ErrFailed
	}
	root, err := secrets.OpenRoot(p.Root)
	if err != nil {
		return fmt.Errorf("opening the render root: %w", err)
	}
	defer root.Close()
	requests, ok := p.locateRequests(rl, root)
	if !ok {
		return ErrFailed
	}
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	budget := p.Budget
	if budget == nil {
		budget = secrets.NewBudget(limits.MaxReadBytes)
	}
	r := newRenderer(root, budget, p.Decryptor, now(), p.Side, rl.Items, requests)
	r.encryptor = p.Encryptor
	outputs := p.renderAll(r, requests)
	// A lean build hands the whole run over before reporting anything, so
	// that the full build's report is the only one.
	if r.needsFull.Load() {
		return secrets.ErrNeedsFullSOPS
	}
	if p.reportFindings(rl, outputs) {
		return ErrFailed
	}
	return p.addToItems(rl, outputs)
}

// refuseOtherVersions reports a request of our group in a version this
// build does not know, which must not be skipped silently.
func (p *Processor) refuseOtherVersions(rl *sdk.ResourceList) bool {
	for _, item := range append(sdk.KubeObjects{rl.FunctionConfig}, rl.Items...) {
		if item != nil && isOtherVersion(item) {
			p.report(rl, nil, diag.Finding{Severity: diag.Error, Field: "apiVersion", Message: fmt.Sprintf("%s %s/%s has apiVersion %q; this clusterpair-fn understands %s only", v1alpha1.Kind, item.GetNamespace(), item.GetName(), item.GetAPIVersion(), v1alpha1.APIVersion)})
			return true
		}
	}
	return false
}

// locateRequests finds the requests and places each inside the root,
// reporting (and returning false for) none found, one placed outside the
// root, or two of the same identity.
func (p *Processor) locateRequests(rl *sdk.ResourceList, root *secrets.Root) ([]request, bool) {
	requests := findRequests(rl, rootLocator(root))
	if len(requests) == 0 {
		p.report(rl, nil, diag.Finding{Severity: diag.Error, Message: "no ClusterPairRequest (" + v1alpha1.APIVersion + ") found in the functionConfig or the items"})
		return nil, false
	}
	ok := true
	for i := range requests {
		if f := requests[i].misplaced; f != nil {
			p.report(rl, &requests[i], *f)
			ok = false
		}
	}
	if !ok {
		return nil, false
	}
	if dups := duplicates(requests); len(dups) > 0 {
		for _, d := range dups {
			p.report(rl, &d, diag.Finding{Severity: diag.Error, Field: "metadata.name", Message: "more than one ClusterPairRequest has this namespace and name; each renders a ClusterPair of that identity"})
		}
		return nil, false
	}
	return requests, true
}

// rendered is what one request rendered to.
type rendered struct {
	req      request
	objects  []*sdk.KubeObject
	findings diag.Findings
}

// renderAll renders the requests in parallel (they share nothing but the
// per-directory resolvers, which are safe for concurrent use); the results
// keep the requests' order, so the output does not depend on scheduling.
// This goroutine is one of the workers: a single request renders on its
// already grown stack, without a new goroutine's stack growth.
func (p *Processor) renderAll(r *renderer, requests []request) []rendered {
	outputs := make([]rendered, len(requests))
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < len(requests); i = int(next.Add(1) - 1) {
			objects, findings := p.renderSafely(r, requests[i])
			outputs[i] = rendered{req: requests[i], objects: objects, findings: findings}
			r.done(requests[i].dir)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < min(runtime.GOMAXPROCS(0), len(requests)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
	return outputs
}

// reportFindings reports every request's findings, in request order, and
// whether any is an error.
func (p *Processor) reportFindings(rl *sdk.ResourceList, outputs []rendered) bool {
	failed := false
	for i := range outputs {
		for _, f := range outputs[i].findings {
			p.report(rl, &outputs[i].req, f)
		}
		failed = failed || outputs[i].findings.HasErrors()
	}
	return failed
}

// addToItems adds the rendered objects to the items once every one of them
// has been checked: each replaces an earlier object of its identity that
// clusterpair-fn rendered (an upsert, found through an index: fleets are
// large) and never one it did not. Requests among the items are marked
// local-config.
func (p *Processor) addToItems(rl *sdk.ResourceList, outputs []rendered) error {
	index := make(map[objectID]int, len(rl.Items))
	for i, it := range rl.Items {
		index[idOf(it)] = i
	}
	for _, out := range outputs {
		for _, obj := range out.objects {
			if i, ok := index[idOf(obj)]; ok && rl.Items[i].GetLabel(transform.ManagedByLabel) != transform.ManagedByValue {
				p.report(rl, &out.req, diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("the input already has a %s %s/%s that clusterpair-fn did not render; refusing to replace it", obj.GetKind(), obj.GetNamespace(), obj.GetName())})
				return ErrFailed
			}
		}
	}
	for _, out := range outputs {
		for _, obj := range out.objects {
			if i, ok := index[idOf(obj)]; ok {
				rl.Items[i] = obj
				continue
			}
			index[idOf(obj)] = len(rl.Items)
			rl.Items = append(rl.Items, obj)
		}
	}
	for _, out := range outputs {
		if out.req.item && out.req.object.GetAnnotation(LocalConfigAnnotation) != "true" {
			if err := out.req.object.SetAnnotation(LocalConfigAnnotation, "true"); err != nil {
				return fmt.Errorf("marking %s local-config: %w", out.req, err)
			}
		}
	}
	return nil
}

// renderSafely renders one request, turning a panic into an error finding
// that names the request but carries nothing of the panic value, which could
// hold decrypted data.
func (p *Processor) renderSafely(r *renderer, req request) (out []*sdk.KubeObject, fs diag.Findings) {
	defer func() {
		if v := recover(); v != nil {
			out, fs = nil, diag.Findings{{Severity: diag.Error, Message: "internal error while rendering this request (a bug in clusterpair-fn; the details are withheld because they could contain secrets)"}}
		}
	}()
	return r.render(req)
}

// report adds a finding to the results and writes it to the log.
func (p *Processor) report(rl *sdk.ResourceList, req *request, f diag.Finding) {
	msg := f.Message
	if f.File != "" {
		msg = fmt.Sprintf("file %q: %s", f.File, msg)
	}
	result := &sdk.Result{Message: msg, Severity: sdk.Error}
	if f.Severity == diag.Warning {
		result.Severity = sdk.Warning
	}
	if req != nil {
		result.ResourceRef = req.ref()
		if req.file != "" {
			result.File = &sdk.File{Path: req.file, Index: max(req.index, 0)}
		}
	}
	if f.Field != "" {
		result.Field = &sdk.Field{Path: f.Field}
	}
	rl.Results = append(rl.Results, result)

	if p.Log != nil {
		var b strings.Builder
		fmt.Fprintf(&b, "clusterpair-fn: %s: ", f.Severity)
		if req != nil {
			fmt.Fprintf(&b, "%s: ", req)
		}
		if f.Field != "" {
			fmt.Fprintf(&b, "%s: ", f.Field)
		}
		b.WriteString(msg)
		b.WriteString("\n")
		_, _ = io.WriteString(p.Log, b.String())
	}
}
