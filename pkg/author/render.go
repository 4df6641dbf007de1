package author

import (
	"fmt"
	"slices"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

// fields checks the options that need no file and returns the request's
// values and its sides, the source side first.
func (o Options) fields() (requestFields, []*sideInput, error) {
	f := requestFields{name: o.Name, namespace: o.Namespace, server: o.Server, projectMappings: o.ProjectMappings}
	f.mode = v1alpha1.Mode(o.Mode)
	if f.mode == "" {
		f.mode = v1alpha1.ModeAsyncDR
	}
	if !slices.Contains(v1alpha1.Modes, f.mode) {
		return f, nil, fmt.Errorf("--mode %q: use async-dr, migration or sync-dr", o.Mode)
	}
	sides := o.sides()
	for _, s := range sides {
		if err := s.check(f.mode); err != nil {
			return f, nil, err
		}
	}
	src := sides[0]
	f.ip, f.port = src.ip, src.port
	if len(sides) > 1 {
		rev := sides[1]
		f.reverse = &reverseFields{server: rev.Server, ip: rev.ip, port: rev.port}
	}
	store, err := o.checkObjectStore(f.mode)
	if err != nil {
		return f, nil, err
	}
	f.objectStore = store
	tokens := make([]secretSource, 0, len(sides))
	for _, s := range sides {
		tokens = append(tokens, secretSource{fileFlag: s.flag("token-file"), file: s.TokenFile})
	}
	if err := checkOneStdin(append(tokens, store.sources()...)); err != nil {
		return f, nil, err
	}
	return f, sides, nil
}

// render decodes, defaults, validates and renders the request with the
// in-memory secrets, exactly as the function will, for every side; it
// returns the warnings (each once), or a *FindingsError.
func render(request []byte, sides []*sideInput, store transform.ObjectStoreSecrets, now time.Time) (diag.Findings, error) {
	req, fs := v1alpha1.Load(request)
	if fs.HasErrors() {
		return nil, &FindingsError{Findings: fs}
	}
	for _, s := range sides {
		_, rfs := transform.RenderSide(req, s.side, transform.Secrets{Kubeconfig: s.kc.data, Token: s.token, ObjectStore: store, Now: now})
		for _, f := range rfs {
			if !slices.Contains(fs, f) {
				fs.Add(f)
			}
		}
	}
	if fs.HasErrors() {
		return nil, &FindingsError{Findings: fs}
	}
	return fs, nil
}
