package fn

import (
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// renderer renders requests, sharing one secrets.Resolver per directory so
// that a file referenced by several requests is decrypted once. It is safe
// for concurrent use: requests render in parallel.
type renderer struct {
	root      *secrets.Root
	budget    *secrets.Budget
	decryptor secrets.Decryptor
	// encryptor encrypts output (output.encrypt); nil refuses to.
	encryptor secrets.Encryptor
	now       time.Time
	side      transform.Side
	// encrypted indexes the SOPS-encrypted input items (earlier encrypted
	// output) by identity.
	encrypted map[objectID]*sdk.KubeObject
	// needsFull records that some work needs the full sops library (only
	// possible in the lean build); the run is then handed over.
	needsFull atomic.Bool
	// typed keeps each request's loaded request and typed output (Render).
	typed bool

	mu        sync.Mutex
	resolvers map[string]*openResolver
}

// openResolver is a directory's resolver and how many requests still need it.
type openResolver struct {
	once    sync.Once
	res     *secrets.Resolver
	root    *secrets.Root
	err     error
	pending int
}

func newRenderer(root *secrets.Root, budget *secrets.Budget, d secrets.Decryptor, now time.Time, side transform.Side, items sdk.KubeObjects, requests []RequestRendering) *renderer {
	r := &renderer{root: root, budget: budget, decryptor: d, now: now, side: side, encrypted: map[objectID]*sdk.KubeObject{}, resolvers: map[string]*openResolver{}}
	for _, it := range items {
		if _, found, _ := it.NestedSubObject("sops"); found {
			r.encrypted[idOf(it)] = it
		}
	}
	for i := range requests {
		dir := requests[i].req.dir
		o := r.resolvers[dir]
		if o == nil {
			o = &openResolver{}
			r.resolvers[dir] = o
		}
		o.pending++
	}
	return r
}

// resolver returns the resolver of a directory (relative to the root),
// opening it beneath the root on first use.
func (r *renderer) resolver(dir string) (*secrets.Resolver, error) {
	r.mu.Lock()
	o := r.resolvers[dir]
	r.mu.Unlock()
	o.once.Do(func() {
		o.root, o.err = r.root.Sub(dir)
		if o.err == nil {
			o.res = secrets.NewResolver(o.root, r.decryptor).WithBudget(r.budget)
		}
	})
	return o.res, o.err
}

// done releases a request's hold on its directory: the last one closes the
// root and drops the decrypted files, so that a fleet of pairs neither keeps
// a descriptor per directory open nor every plaintext in memory.
func (r *renderer) done(dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.resolvers[dir]
	o.pending--
	if o.pending == 0 {
		if o.root != nil {
			_ = o.root.Close()
		}
		delete(r.resolvers, dir)
	}
}

// objectID is what makes two objects the same one.
type objectID struct{ apiVersion, kind, namespace, name string }

func idOf(o *sdk.KubeObject) objectID {
	return objectID{o.GetAPIVersion(), o.GetKind(), o.GetNamespace(), o.GetName()}
}

// render decodes, defaults, validates, resolves, renders and (when asked)
// encrypts one request into out: the KRM objects of the selected side and
// the findings, plus, when the renderer is typed, the loaded request and
// the typed output.
func (r *renderer) render(out *RequestRendering) {
	req := out.req
	cpr, fs := v1alpha1.Load([]byte(req.object.String()))
	if r.typed {
		out.Loaded = cpr
	}
	out.Findings = fs
	if fs.HasErrors() {
		return
	}
	side, f := r.sideFor(cpr)
	if f != nil {
		out.Findings.Add(*f)
		return
	}
	view, _ := cpr.Side(side) // sideFor chose a side the request has
	output, outField := view.Output, view.OutputField
	if f := plaintextGuard(req, output, outField); f != nil {
		out.Findings.Add(*f)
		return
	}

	// The locator opened this directory already and named the annotation
	// if it could not; it can only fail here if it changed since.
	res, err := r.resolver(req.dir)
	if err != nil {
		out.Findings.Errorf("", "the request's directory %q (inside %s) cannot be opened: %s", req.dir, r.root.Dir(), err)
		return
	}
	in, sfs := resolveSecrets(res, cpr, view, &r.needsFull)
	addRootHint(sfs, req)
	in.Now = r.now
	out.Findings.Add(sfs...)
	if out.Findings.HasErrors() {
		return
	}
	rendered, tfs := transform.RenderSide(cpr, side, in)
	out.Findings.Add(tfs...)
	if out.Findings.HasErrors() {
		return
	}
	objects, efs := r.emit(req, res, rendered, output, outField)
	out.Findings.Add(efs...)
	if out.Findings.HasErrors() {
		return
	}
	out.objects = objects
	if r.typed {
		out.Output = rendered
	}
}

// sideFor picks the side to render: the processor's, or source when the
// request has no reverse pair. A request with a reverse pair needs an
// explicit side, so that a cluster never silently gets the other's pair.
func (r *renderer) sideFor(cpr *v1alpha1.ClusterPairRequest) (transform.Side, *diag.Finding) {
	switch {
	case r.side != "" && !hasSide(cpr, r.side):
		return "", &diag.Finding{Severity: diag.Error, Field: "spec.reverse", Message: "the destination side was selected (CLUSTERPAIR_SIDE or --side) but this request has no spec.reverse"}
	case r.side == "" && hasSide(cpr, transform.SideDestination):
		return "", &diag.Finding{Severity: diag.Error, Field: "spec.reverse", Message: "is set, so the request renders a pair for each cluster: choose which one this render is for with CLUSTERPAIR_SIDE=source or CLUSTERPAIR_SIDE=destination (or --side)"}
	case r.side == "":
		return transform.SideSource, nil
	}
	return r.side, nil
}

func hasSide(cpr *v1alpha1.ClusterPairRequest, side transform.Side) bool {
	_, ok := cpr.Side(side)
	return ok
}

// resolveSecrets decrypts what the side needs, and nothing else: the other
// side's credentials may be encrypted to keys this renderer does not hold.
func resolveSecrets(res *secrets.Resolver, cpr *v1alpha1.ClusterPairRequest, view v1alpha1.SideView, needsFull *atomic.Bool) (transform.Secrets, diag.Findings) {
	var fs diag.Findings
	var in transform.Secrets
	get := func(field string, ref v1alpha1.SecretRef) []byte {
		v, f := resolve(res, field, ref)
		if f != nil {
			if f.Reason == secrets.ReasonNeedsFull {
				needsFull.Store(true)
			}
			fs.Add(f.Finding)
			return nil
		}
		return v.Bytes()
	}
	spec := cpr.Spec
	in.Kubeconfig = get(view.KubeconfigField, view.Kubeconfig.SecretRef)
	if s := view.Storage; s != nil {
		in.Token = get(view.StorageField+".token", s.Token)
	}
	if o := spec.ObjectStore; o != nil && o.Existing == "" {
		if o.EncryptionKey != nil {
			in.ObjectStore.EncryptionKey = get("spec.objectStore.encryptionKey", *o.EncryptionKey)
		}
		switch {
		case o.S3 != nil:
			in.ObjectStore.AccessKeyID = get("spec.objectStore.s3.accessKeyID", o.S3.AccessKeyID)
			in.ObjectStore.SecretAccessKey = get("spec.objectStore.s3.secretAccessKey", o.S3.SecretAccessKey)
		case o.Azure != nil:
			in.ObjectStore.AzureAccountKey = get("spec.objectStore.azure.accountKey", o.Azure.AccountKey)
			if sp := o.Azure.ServicePrincipal; sp != nil {
				in.ObjectStore.AzureClientSecret = get("spec.objectStore.azure.servicePrincipal.clientSecret", sp.ClientSecret)
			}
		case o.Google != nil:
			in.ObjectStore.GoogleAccountKey = get("spec.objectStore.google.accountKey", o.Google.AccountKey)
		}
	}
	return in, fs
}

// resolve resolves a reference, turning a failure into a finding on the
// field that holds the reference.
func resolve(res *secrets.Resolver, field string, ref v1alpha1.SecretRef) (secrets.Value, *resolveFailure) {
	v, err := res.Resolve(secrets.Ref{File: ref.File, Key: ref.Key, Format: ref.Format, AllowUnencrypted: ref.AllowUnencrypted})
	if err == nil {
		return v, nil
	}
	sub := ".file"
	if secrets.ReasonOf(err) == secrets.ReasonKeyNotFound {
		sub = ".key"
	}
	return secrets.Value{}, &resolveFailure{
		Finding: diag.Finding{Severity: diag.Error, Field: field + sub, File: ref.File, Message: err.Error()},
		Reason:  secrets.ReasonOf(err),
	}
}

// resolveFailure is a finding about a reference plus why it failed.
type resolveFailure struct {
	diag.Finding
	Reason secrets.Reason
}
