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

// checkRequest renders every side of one request to check (see sidesOf)
// through the function's render step (fn.Processor.RenderRequest), in the
// request's directory, decoding it once. It takes the findings and the
// rendered pair typed, as the function has them before it encodes and
// (spec.output.encrypt) encrypts the pair: an encrypted output needs no
// key of its recipients here.
func checkRequest(req Request, opts Options, now func() time.Time, budget *secrets.Budget) []*Pair {
	fail := func(err error) []*Pair {
		p := &Pair{Request: req, Side: v1alpha1.SideSource, Name: req.ID()}
		p.Findings.Errorf("", "%s", err)
		return []*Pair{p}
	}
	if req.Problem != "" {
		return fail(errors.New(req.Problem))
	}
	obj, err := sdk.ParseKubeObject(req.doc)
	if err != nil {
		return fail(fmt.Errorf("document %d is not a Kubernetes object: %s", req.Index+1, diag.ScrubParserError(trimYAML(err))))
	}
	dir, err := filepath.Abs(filepath.Dir(req.Path))
	if err != nil {
		return fail(fmt.Errorf("locating the directory of %s: %w", req.Path, err))
	}
	// kustomize marks a generator's config local-config.
	if err := obj.SetAnnotation(fn.LocalConfigAnnotation, "true"); err != nil {
		return fail(err)
	}
	proc := &fn.Processor{Decryptor: opts.Decryptor, Encryptor: opts.Encryptor, Root: dir, Now: now, Budget: budget}
	decoded, outs, err := proc.RenderEach(obj, func(cpr *v1alpha1.ClusterPairRequest) []v1alpha1.Side { return sidesOf(cpr, opts.Side) })
	if err != nil {
		return fail(err)
	}
	pairs := make([]*Pair, len(outs))
	for i, out := range outs {
		p := &Pair{Request: req, Side: out.Side, Name: req.ID(), Findings: out.Findings}
		if p.Side == "" {
			p.Side = v1alpha1.SideSource
		}
		describeRequest(p, decoded.Loaded, p.Side)
		if out.Output != nil {
			p.Rendered = true
			p.takePair(out.Output.ClusterPair)
		}
		pairs[i] = p
	}
	return pairs
}

// sidesOf returns the sides to render a request with: "" (the only pair)
// for a one-way request (or one that does not decode), the chosen side or
// both for a bidirectional one.
func sidesOf(cpr *v1alpha1.ClusterPairRequest, chosen v1alpha1.Side) []v1alpha1.Side {
	switch {
	case cpr == nil || cpr.Spec.Reverse == nil:
		return []v1alpha1.Side{""}
	case chosen != "":
		return []v1alpha1.Side{chosen}
	}
	return []v1alpha1.Side{v1alpha1.SideSource, v1alpha1.SideDestination}
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

// describeRequest fills in the mode, storage and server override of the
// side from the loaded request (nil: it did not decode), so that a pair
// that does not render is still described.
func describeRequest(p *Pair, cpr *v1alpha1.ClusterPairRequest, side v1alpha1.Side) {
	if cpr == nil {
		return
	}
	p.Mode = string(cpr.Spec.Mode)
	view, ok := cpr.Side(side)
	if !ok {
		view, _ = cpr.Side(v1alpha1.SideSource)
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
