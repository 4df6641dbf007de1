package fn

import (
	"errors"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// renderer renders requests, sharing one secrets.Resolver per directory so
// that a file referenced by several requests is decrypted once.
type renderer struct {
	decryptor secrets.Decryptor
	now       time.Time
	side      transform.Side
	// items are the input items, where earlier encrypted output may be.
	items sdk.KubeObjects
	// needsFull records that some work needs the full sops library (only
	// possible in the lean build); the run is then handed over.
	needsFull bool
	resolvers map[string]*secrets.Resolver
	roots     []*secrets.Root
}

func (r *renderer) close() {
	for _, root := range r.roots {
		_ = root.Close()
	}
}

func (r *renderer) resolver(dir string) (*secrets.Resolver, error) {
	if res, ok := r.resolvers[dir]; ok {
		return res, nil
	}
	root, err := secrets.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	r.roots = append(r.roots, root)
	res := secrets.NewResolver(root, r.decryptor)
	r.resolvers[dir] = res
	return res, nil
}

// render decodes, defaults, validates, resolves, renders and (when asked)
// encrypts one request, returning the KRM objects of the selected side.
func (r *renderer) render(req request) ([]*sdk.KubeObject, diag.Findings) {
	var fs diag.Findings
	cpr, unknown, err := v1alpha1.Decode([]byte(req.object.String()))
	if err != nil {
		var f diag.Finding
		if errors.As(err, &f) {
			fs.Add(f)
		} else {
			fs.Errorf("", "%s", err)
		}
		return nil, fs
	}
	fs.Add(unknown...)
	cpr.Default()
	fs.Add(cpr.Validate()...)
	if fs.HasErrors() {
		return nil, fs
	}
	side, f := r.sideFor(cpr)
	if f != nil {
		fs.Add(*f)
		return nil, fs
	}
	output, outField := outputFor(cpr, side), outputField(cpr, side)
	if f := plaintextGuard(req, output, outField); f != nil {
		fs.Add(*f)
		return nil, fs
	}

	res, err := r.resolver(req.dir)
	if err != nil {
		fs.Errorf("", "%s", err)
		return nil, fs
	}
	in, sfs := resolveSecrets(res, cpr, side, &r.needsFull)
	in.Now = r.now
	fs.Add(sfs...)
	if fs.HasErrors() {
		return nil, fs
	}
	out, tfs := transform.RenderSide(cpr, side, in)
	fs.Add(tfs...)
	if fs.HasErrors() {
		return nil, fs
	}
	objects, efs := r.emit(req, res, out, output, outField)
	fs.Add(efs...)
	if fs.HasErrors() {
		return nil, fs
	}
	return objects, fs
}

// sideFor picks the side to render: the processor's, or source when the
// request has no reverse pair. A request with a reverse pair needs an
// explicit side, so that a cluster never silently gets the other's pair.
func (r *renderer) sideFor(cpr *v1alpha1.ClusterPairRequest) (transform.Side, *diag.Finding) {
	switch {
	case r.side == transform.SideDestination && cpr.Spec.Reverse == nil:
		return "", &diag.Finding{Severity: diag.Error, Field: "spec.reverse", Message: "the destination side was selected (CLUSTERPAIR_SIDE or --side) but this request has no spec.reverse"}
	case r.side == "" && cpr.Spec.Reverse != nil:
		return "", &diag.Finding{Severity: diag.Error, Field: "spec.reverse", Message: "is set, so the request renders a pair for each cluster: choose which one this render is for with CLUSTERPAIR_SIDE=source or CLUSTERPAIR_SIDE=destination (or --side)"}
	case r.side == "":
		return transform.SideSource, nil
	}
	return r.side, nil
}

// resolveSecrets decrypts what the side needs, and nothing else: the other
// side's credentials may be encrypted to keys this renderer does not hold.
func resolveSecrets(res *secrets.Resolver, cpr *v1alpha1.ClusterPairRequest, side transform.Side, needsFull *bool) (transform.Secrets, diag.Findings) {
	var fs diag.Findings
	var in transform.Secrets
	get := func(field string, ref v1alpha1.SecretRef) []byte {
		v, f := resolve(res, field, ref)
		if f != nil {
			if f.Reason == secrets.ReasonNeedsFull {
				*needsFull = true
			}
			fs.Add(f.Finding)
			return nil
		}
		return v.Bytes()
	}
	spec := cpr.Spec
	if side == transform.SideDestination {
		in.Kubeconfig = get("spec.reverse.kubeconfig", spec.Reverse.Kubeconfig.SecretRef)
		if s := spec.Reverse.Storage; s != nil {
			in.Token = get("spec.reverse.storage.token", s.Token)
		}
	} else {
		in.Kubeconfig = get("spec.destination.kubeconfig", spec.Destination.Kubeconfig.SecretRef)
		if s := spec.Storage; s != nil {
			in.Token = get("spec.storage.token", s.Token)
		}
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
