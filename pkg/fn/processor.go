package fn

import (
	"errors"
	"fmt"
	"io"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// ErrFailed is returned by Process when any request has an error; the
// details are in the ResourceList's results and on the log.
var ErrFailed = errors.New("clusterpair-fn: rendering failed")

// Process implements the KRM function over rl: Render, then the report
// step (every finding as a result and a log line), then, when nothing
// failed, the rendered objects join the items. It returns ErrFailed (with
// error results in rl, and no rendered object among its items) when any
// request fails.
func (p *Processor) Process(rl *sdk.ResourceList) error {
	run, err := p.Render(rl)
	if err != nil {
		return err
	}
	for _, f := range run.Findings {
		p.report(rl, nil, f)
	}
	for i := range run.Requests {
		for _, f := range run.Requests[i].Findings {
			p.report(rl, run.Requests[i].Request, f)
		}
	}
	if run.Failed() {
		return ErrFailed
	}
	return p.addToItems(rl, run.Requests)
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
		for _, obj := range out.Objects {
			if i, ok := index[idOf(obj)]; ok && rl.Items[i].GetLabel(v1alpha1.ManagedByLabel) != v1alpha1.ManagedByValue {
				p.report(rl, out.Request, diag.Finding{Severity: diag.Error, Message: fmt.Sprintf("the input already has a %s %s/%s that clusterpair-fn did not render; refusing to replace it", obj.GetKind(), obj.GetNamespace(), obj.GetName())})
				return ErrFailed
			}
		}
	}
	for _, out := range outputs {
		for _, obj := range out.Objects {
			if i, ok := index[idOf(obj)]; ok {
				rl.Items[i] = obj
				continue
			}
			index[idOf(obj)] = len(rl.Items)
			rl.Items = append(rl.Items, obj)
		}
		if out.item && out.object.GetAnnotation(LocalConfigAnnotation) != "true" {
			if err := out.object.SetAnnotation(LocalConfigAnnotation, "true"); err != nil {
				return fmt.Errorf("marking %s local-config: %w", out.Request, err)
			}
		}
	}
	return nil
}

// report adds a finding to the results and writes it to the log.
func (p *Processor) report(rl *sdk.ResourceList, req *Request, f diag.Finding) {
	result := &sdk.Result{Message: f.Text(), Severity: sdk.Error}
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
func (p *Processor) log(req *Request, f diag.Finding) {
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

// LogFindings is the report step of a run that prints no ResourceList
// (RenderFiles): the findings on the log, one line each, as Process
// reports them. It says whether any is an error.
func (p *Processor) LogFindings(run *Rendering) bool {
	for _, f := range run.Findings {
		p.log(nil, f)
	}
	for i := range run.Requests {
		for _, f := range run.Requests[i].Findings {
			p.log(run.Requests[i].Request, f)
		}
	}
	return run.Failed()
}
