package fn

import (
	"errors"
	"fmt"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

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
	resolvers map[string]*secrets.Resolver
	roots     []*secrets.Root
}

func newRenderer(d secrets.Decryptor, now time.Time) *renderer {
	return &renderer{decryptor: d, now: now, resolvers: map[string]*secrets.Resolver{}}
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

// render decodes, defaults, validates, resolves and renders one request.
func (r *renderer) render(req request) (*transform.Output, diag.Findings) {
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

	res, err := r.resolver(req.dir)
	if err != nil {
		fs.Errorf("", "%s", err)
		return nil, fs
	}
	in := transform.Secrets{Now: r.now}
	kc := cpr.Spec.Destination.Kubeconfig
	if v, f := resolve(res, "spec.destination.kubeconfig", kc.SecretRef); f != nil {
		fs.Add(*f)
	} else {
		in.Kubeconfig = v.Bytes()
	}
	if s := cpr.Spec.Storage; s != nil {
		if v, f := resolve(res, "spec.storage.token", s.Token); f != nil {
			fs.Add(*f)
		} else {
			in.Token = v.Bytes()
		}
	}
	if fs.HasErrors() {
		return nil, fs
	}
	out, tfs := transform.Render(cpr, in)
	fs.Add(tfs...)
	return out, fs
}

// resolve resolves a reference, turning a failure into a finding on the
// field that holds the reference.
func resolve(res *secrets.Resolver, field string, ref v1alpha1.SecretRef) (secrets.Value, *diag.Finding) {
	v, err := res.Resolve(secrets.Ref{File: ref.File, Key: ref.Key, Format: ref.Format, AllowUnencrypted: ref.AllowUnencrypted})
	if err == nil {
		return v, nil
	}
	sub := ".file"
	if secrets.ReasonOf(err) == secrets.ReasonKeyNotFound {
		sub = ".key"
	}
	return secrets.Value{}, &diag.Finding{Severity: diag.Error, Field: field + sub, File: ref.File, Message: err.Error()}
}

// toKubeObjects converts a request's output to KRM objects, placed next to
// the request for orchestrators that write items to files.
func toKubeObjects(out *transform.Output, req request) ([]*sdk.KubeObject, error) {
	data, err := yaml.Marshal(out.ClusterPair)
	if err != nil {
		return nil, fmt.Errorf("encoding the ClusterPair: %w", err)
	}
	obj, err := sdk.ParseKubeObject(data)
	if err != nil {
		return nil, fmt.Errorf("encoding the ClusterPair: %w", err)
	}
	if p := outputPath(req, obj.GetKind(), obj.GetName()); p != "" {
		for _, a := range []string{sdk.PathAnnotation, legacyPathAnnotation} {
			if err := obj.SetAnnotation(a, p); err != nil {
				return nil, err
			}
		}
	}
	return []*sdk.KubeObject{obj}, nil
}
