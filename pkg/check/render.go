package check

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// Finding is one error or warning the function reported about a pair.
type Finding struct {
	Severity diag.Severity
	// Field is the request field, if any.
	Field string
	// Message names the file involved, if any.
	Message string
}

// Pair is the outcome of checking one side of one request.
type Pair struct {
	// Request is the request checked.
	Request Request
	// Side is the side rendered: source, or destination for the reverse
	// pair of a bidirectional request.
	Side transform.Side
	// Name is the ClusterPair's namespace/name.
	Name string
	// Server is the destination API server of the rendered pair (scheme,
	// host and port only: diag.RedactURL), or the request's server override
	// when it did not render.
	Server string
	// Mode is the request's spec.mode ("" when unset or unknown).
	Mode string
	// Storage is the Portworx endpoint HOST:PORT ("" for none).
	Storage string
	// Rendered is true when the function rendered the pair.
	Rendered bool
	// Expires is the earliest known expiry of the pair's credentials (the
	// rendered pair's fn.clusterpair.dev/credentials-expire); zero when
	// unknown or not rendered.
	Expires time.Time
	// Findings are the function's results for this request and side.
	Findings []Finding
	// Live are the live checks, when they were asked for.
	Live []LiveResult

	// config and options are the rendered credentials and storage options,
	// kept only until the live checks ran; note says why they are missing.
	config  *stork.Config
	options map[string]string
	note    string
}

// Errors and Warnings count the findings by severity.
func (p *Pair) Errors() int { return p.count(diag.Error) }

// Warnings counts the warning findings of the pair.
func (p *Pair) Warnings() int { return p.count(diag.Warning) }

func (p *Pair) count(s diag.Severity) int {
	n := 0
	for _, f := range p.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Failed reports whether the pair has an error or a failed live check.
func (p *Pair) Failed() bool {
	if p.Errors() > 0 {
		return true
	}
	for _, l := range p.Live {
		if l.Status == LiveFailed {
			return true
		}
	}
	return false
}

// renderPair renders one side of a request through fn.Processor, on a
// ResourceList built as kustomize builds it for a generator (the request is
// the functionConfig; here also an item marked local-config, as the
// function leaves it), in the request's directory.
func renderPair(req Request, side transform.Side, dec secrets.Decryptor, enc secrets.Encryptor, now func() time.Time, budget *secrets.Budget) *Pair {
	p := &Pair{Request: req, Side: side, Name: req.ID()}
	if side == "" {
		p.Side = transform.SideSource
	}
	if req.Problem != "" {
		p.Findings = append(p.Findings, Finding{Severity: diag.Error, Message: req.Problem})
		return p
	}
	describeRequest(p, req, side)

	rl, err := resourceList(req)
	if err != nil {
		p.Findings = append(p.Findings, Finding{Severity: diag.Error, Message: err.Error()})
		return p
	}
	dir, err := absDir(req.Path)
	if err != nil {
		p.Findings = append(p.Findings, Finding{Severity: diag.Error, Message: err.Error()})
		return p
	}
	proc := &fn.Processor{Decryptor: dec, Encryptor: enc, Root: dir, Now: now, Side: side, Budget: budget}
	procErr := proc.Process(rl)
	for _, r := range rl.Results {
		f := Finding{Severity: diag.Error, Message: r.Message}
		if r.Severity == sdk.Warning || r.Severity == sdk.Info {
			f.Severity = diag.Warning
		}
		if r.Field != nil {
			f.Field = r.Field.Path
		}
		p.Findings = append(p.Findings, f)
	}
	if procErr != nil {
		if !errors.Is(procErr, fn.ErrFailed) {
			p.Findings = append(p.Findings, Finding{Severity: diag.Error, Message: procErr.Error()})
		}
		return p
	}
	p.Rendered = true
	p.readPair(rl, dec)
	return p
}

// resourceList wraps the request as kustomize does for a generator.
func resourceList(req Request) (*sdk.ResourceList, error) {
	fc, err := sdk.ParseKubeObject(req.doc)
	if err != nil {
		return nil, fmt.Errorf("document %d is not a Kubernetes object: %s", req.Index+1, diag.ScrubParserError(trimYAML(err)))
	}
	// kustomize marks a generator's config local-config and passes it as
	// the functionConfig and as the only item.
	if err := fc.SetAnnotation(fn.LocalConfigAnnotation, "true"); err != nil {
		return nil, err
	}
	return &sdk.ResourceList{FunctionConfig: fc, Items: sdk.KubeObjects{fc}}, nil
}

// readPair takes the rendered ClusterPair's destination, decrypting it
// when the request asks for encrypted output.
func (p *Pair) readPair(rl *sdk.ResourceList, dec secrets.Decryptor) {
	var obj *sdk.KubeObject
	for _, it := range rl.Items {
		if it.GetAPIVersion() == stork.APIVersion && it.GetKind() == stork.ClusterPairKind {
			obj = it
		}
	}
	if obj == nil {
		p.note = "the function rendered no ClusterPair"
		return
	}
	p.Name = obj.GetNamespace() + "/" + obj.GetName()
	p.Expires = expiresOf(obj)
	data := []byte(obj.String())
	if _, encrypted, _ := obj.NestedSubObject("sops"); encrypted {
		doc, err := dec.Decrypt("the rendered ClusterPair", data, secrets.FormatYAML)
		if err != nil {
			p.note = fmt.Sprintf("the rendered pair is SOPS-encrypted (spec.output.encrypt) and cannot be decrypted here (%s)", secrets.ReasonOf(err))
			p.Server = "(encrypted)"
			return
		}
		v, err := doc.Whole("the rendered ClusterPair")
		if err != nil {
			p.note = "the rendered pair does not decrypt to a document"
			return
		}
		data = v.Bytes()
	}
	var cp stork.ClusterPair
	if err := yaml.Unmarshal(data, &cp); err != nil {
		p.note = "the rendered pair does not decode"
		return
	}
	p.config, p.options = &cp.Spec.Config, cp.Spec.Options
	if ctx := cp.Spec.Config.Contexts[cp.Spec.Config.CurrentContext]; ctx != nil {
		if c := cp.Spec.Config.Clusters[ctx.Cluster]; c != nil {
			p.Server = diag.RedactURL(c.Server)
		}
	}
}

// describeRequest fills in the mode, storage and server override of the
// side from the request itself, so that a pair that does not render is
// still described.
func describeRequest(p *Pair, req Request, side transform.Side) {
	cpr, _ := v1alpha1.Load(req.doc)
	if cpr == nil {
		return
	}
	p.Mode = string(cpr.Spec.Mode)
	if side == "" {
		side = transform.SideSource
	}
	view, ok := cpr.Side(side)
	if !ok {
		view, _ = cpr.Side(transform.SideSource)
	}
	if view.Name != "" && view.Name != cpr.Metadata.Name {
		p.Name = Request{Namespace: cpr.Metadata.Namespace, Name: view.Name}.ID()
	}
	kc, storage := view.Kubeconfig, view.Storage
	if kc.Server != "" {
		p.Server = diag.RedactURL(kc.Server)
	}
	if storage != nil { // Load applied the defaults: the port is set
		p.Storage = diag.RedactURLsIn(endpoint(storage.IP, strconv.Itoa(storage.Port)))
	}
}

// endpoint joins a Portworx ip option (maybe with a scheme) and port.
func endpoint(ip, port string) string {
	if u, err := url.Parse(ip); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port)
	}
	return net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]"), port)
}

// absDir is the absolute directory of a file.
func absDir(path string) (string, error) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return "", fmt.Errorf("locating the directory of %s: %w", path, err)
	}
	return dir, nil
}
