package check

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

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
	// Findings are the function's findings for this request and side; a
	// finding about a referenced file names it in File.
	Findings diag.Findings
	// Live are the live checks, when they were asked for.
	Live []LiveResult

	// config and options are the rendered credentials and storage options
	// (set only for a pair that rendered), kept until the live checks ran.
	config  *stork.Config
	options map[string]string
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

// renderPair renders one side of a request through fn.Processor.Render, on
// a ResourceList built as kustomize builds it for a generator (the request
// is the functionConfig; here also an item marked local-config, as the
// function leaves it), in the request's directory. It takes the findings
// and the rendered pair typed, as the function has them before it encodes
// and (spec.output.encrypt) encrypts the pair: an encrypted output needs no
// key of its recipients here.
func renderPair(req Request, side transform.Side, dec secrets.Decryptor, enc secrets.Encryptor, now func() time.Time, budget *secrets.Budget) *Pair {
	p := &Pair{Request: req, Side: side, Name: req.ID()}
	if side == "" {
		p.Side = transform.SideSource
	}
	if req.Problem != "" {
		p.Findings.Errorf("", "%s", req.Problem)
		return p
	}
	rl, err := resourceList(req)
	if err != nil {
		p.Findings.Errorf("", "%s", err)
		return p
	}
	dir, err := absDir(req.Path)
	if err != nil {
		p.Findings.Errorf("", "%s", err)
		return p
	}
	proc := &fn.Processor{Decryptor: dec, Encryptor: enc, Root: dir, Now: now, Side: side, Budget: budget}
	run, err := proc.Render(rl)
	describeRequest(p, loadedOf(run, req), side)
	if err != nil {
		// The root did not open, or this (lean) build hands the run over:
		// its findings are not the function's.
		p.Findings.Errorf("", "%s", err)
		return p
	}
	p.Findings.Add(run.Findings...)
	var out *transform.Output
	for i := range run.Requests {
		p.Findings.Add(run.Requests[i].Findings...)
		out = run.Requests[i].Output
	}
	if out != nil && !p.Findings.HasErrors() {
		p.Rendered = true
		p.takePair(out.ClusterPair)
	}
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

// takePair takes the rendered ClusterPair's identity, expiry, destination
// and, for the live checks, its credentials and storage options.
func (p *Pair) takePair(cp *stork.ClusterPair) {
	p.Name = cp.Metadata.Namespace + "/" + cp.Metadata.Name
	p.Expires = expiresOf(cp.Metadata.Annotations[transform.AnnotationCredentialsExpire])
	p.config, p.options = &cp.Spec.Config, cp.Spec.Options
	if ctx := cp.Spec.Config.Contexts[cp.Spec.Config.CurrentContext]; ctx != nil {
		if c := cp.Spec.Config.Clusters[ctx.Cluster]; c != nil {
			p.Server = diag.RedactURL(c.Server)
		}
	}
}

// loadedOf is the request as the function loaded it or, when the run
// stopped before loading it (its annotation places it outside the root, the
// root did not open), as v1alpha1.Load decodes it: a request that is not
// rendered is still described.
func loadedOf(run *fn.Rendering, req Request) *v1alpha1.ClusterPairRequest {
	if run != nil {
		// The ResourceList holds this one request.
		for i := range run.Requests {
			if l := run.Requests[i].Loaded; l != nil {
				return l
			}
		}
	}
	cpr, _ := v1alpha1.Load(req.doc)
	return cpr
}

// describeRequest fills in the mode, storage and server override of the
// side from the loaded request (nil: it did not decode), so that a pair
// that does not render is still described.
func describeRequest(p *Pair, cpr *v1alpha1.ClusterPairRequest, side transform.Side) {
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
