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
// oversized inputs, locate the requests inside the root, render them all
// (render, which Render shares), report, and only then add the rendered
// objects to the items.
func (p *Processor) Process(rl *sdk.ResourceList) error {
	run, err := p.render(rl, false)
	if err != nil {
		return err
	}
	if p.reportFindings(rl, &run) {
		return ErrFailed
	}
	return p.addToItems(rl, run.Requests)
}

// render is Process up to its report: the typed outcome of the run. typed
// keeps each request's loaded request and typed output (Render); Process
// needs neither, and a fleet's worth of them would stay in memory until
// the run ends.
func (p *Processor) render(rl *sdk.ResourceList, typed bool) (Rendering, error) {
	if f := refuseOtherVersions(append(sdk.KubeObjects{rl.FunctionConfig}, rl.Items...)); f != nil {
		return Rendering{Findings: diag.Findings{*f}}, nil
	}
	limits := p.Limits.WithDefaults()
	if n := countRequests(rl); n > limits.MaxRequests {
		return tooManyRequests(n, limits), nil
	}
	root, err := secrets.OpenRoot(p.Root)
	if err != nil {
		return Rendering{}, fmt.Errorf("opening the render root: %w", err)
	}
	defer root.Close()
	run, ok := locateRequests(findRequests(rl, rootLocator(root)))
	if !ok {
		return run, nil
	}
	return p.renderLocated(root, rl.Items, run, typed)
}

// tooManyRequests is the run's finding for an input over the request limit.
func tooManyRequests(n int, limits Limits) Rendering {
	return Rendering{Findings: diag.Findings{{Severity: diag.Error, Message: fmt.Sprintf("the input holds %d ClusterPairRequests; one run renders at most %d (raise it with --max-requests or CLUSTERPAIR_FN_MAX_REQUESTS, or split the render)", n, limits.MaxRequests)}}}
}

// renderLocated renders located requests, all of them, in parallel; items
// are the input's (earlier encrypted output among them).
func (p *Processor) renderLocated(root *secrets.Root, items sdk.KubeObjects, run Rendering, typed bool) (Rendering, error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	budget := p.Budget
	if budget == nil {
		budget = secrets.NewBudget(p.Limits.WithDefaults().MaxReadBytes)
	}
	r := newRenderer(root, budget, p.Decryptor, now(), p.Side, items, run.Requests)
	r.typed = typed
	r.encryptor = p.Encryptor
	renderAll(r, run.Requests)
	// A lean build hands the whole run over before reporting anything, so
	// that the full build's report is the only one.
	if r.needsFull.Load() {
		return run, secrets.ErrNeedsFullSOPS
	}
	return run, nil
}

// refuseOtherVersions finds a request of our group in a version this build
// does not know, which must not be skipped silently.
func refuseOtherVersions(objects sdk.KubeObjects) *diag.Finding {
	for _, item := range objects {
		if item != nil && isOtherVersion(item) {
			return &diag.Finding{Severity: diag.Error, Field: "apiVersion", Message: fmt.Sprintf("%s %s/%s has apiVersion %q; this clusterpair-fn understands %s only", v1alpha1.Kind, item.GetNamespace(), item.GetName(), item.GetAPIVersion(), v1alpha1.APIVersion)}
		}
	}
	return nil
}

// locateRequests turns the requests found into a run. It returns false,
// with the findings, for none found, one placed outside the root, or two of
// the same identity.
func locateRequests(requests []request) (Rendering, bool) {
	if len(requests) == 0 {
		return Rendering{Findings: diag.Findings{{Severity: diag.Error, Message: "no ClusterPairRequest (" + v1alpha1.APIVersion + ") found in the functionConfig or the items"}}}, false
	}
	run := Rendering{Requests: make([]RequestRendering, len(requests))}
	ok := true
	for i := range requests {
		run.Requests[i].req = requests[i]
		if f := requests[i].misplaced; f != nil {
			run.Requests[i].Findings = diag.Findings{*f}
			ok = false
		}
	}
	if !ok {
		return run, false
	}
	for _, i := range duplicates(requests) {
		run.Requests[i].Findings = diag.Findings{{Severity: diag.Error, Field: "metadata.name", Message: "more than one ClusterPairRequest has this namespace and name; each renders a ClusterPair of that identity"}}
		ok = false
	}
	return run, ok
}

// renderAll renders the requests in parallel (they share nothing but the
// per-directory resolvers, which are safe for concurrent use), each into
// its own element, so the outcome does not depend on scheduling. This
// goroutine is one of the workers: a single request renders on its already
// grown stack, without a new goroutine's stack growth.
func renderAll(r *renderer, requests []RequestRendering) {
	var next atomic.Int64
	work := func() {
		for i := int(next.Add(1) - 1); i < len(requests); i = int(next.Add(1) - 1) {
			renderSafely(r, &requests[i])
			r.done(requests[i].req.dir)
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
}

// reportFindings reports the run's findings and every request's, in
// request order, and whether any is an error.
func (p *Processor) reportFindings(rl *sdk.ResourceList, run *Rendering) bool {
	for _, f := range run.Findings {
		p.report(rl, nil, f)
	}
	for i := range run.Requests {
		for _, f := range run.Requests[i].Findings {
			p.report(rl, &run.Requests[i].req, f)
		}
	}
	return run.Failed()
}

// addToItems adds the rendered objects to the items once every one of them
// has been checked: each replaces an earlier object of its identity that
// clusterpair-fn rendered (an upsert, found through an index: fleets are
// large) and never one it did not. Requests among the items are marked
// local-config.
func (p *Processor) addToItems(rl *sdk.ResourceList, outputs []RequestRendering) error {
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
func renderSafely(r *renderer, out *RequestRendering) {
	defer func() {
		if v := recover(); v != nil {
			out.objects, out.Output = nil, nil
			out.Findings = diag.Findings{{Severity: diag.Error, Message: "internal error while rendering this request (a bug in clusterpair-fn; the details are withheld because they could contain secrets)"}}
		}
	}()
	r.render(out)
}

// report adds a finding to the results and writes it to the log.
func (p *Processor) report(rl *sdk.ResourceList, req *request, f diag.Finding) {
	msg := f.Text()
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
	p.log(req, f)
}

// log writes a finding's line to the log: "clusterpair-fn: SEVERITY:
// REQUEST (FILE): FIELD: MESSAGE".
func (p *Processor) log(req *request, f diag.Finding) {
	if p.Log == nil {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "clusterpair-fn: %s: ", f.Severity)
	if req != nil {
		fmt.Fprintf(&b, "%s: ", req)
	}
	if f.Field != "" {
		fmt.Fprintf(&b, "%s: ", f.Field)
	}
	b.WriteString(f.Text())
	b.WriteString("\n")
	_, _ = io.WriteString(p.Log, b.String())
}

// LogFindings writes the findings of a run (RenderFiles, Render) to the
// log, one line each, as Process reports them, and says whether any is an
// error.
func (p *Processor) LogFindings(run *Rendering) bool {
	for _, f := range run.Findings {
		p.log(nil, f)
	}
	for i := range run.Requests {
		for _, f := range run.Requests[i].Findings {
			p.log(&run.Requests[i].req, f)
		}
	}
	return run.Failed()
}
