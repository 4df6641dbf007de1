package author

import (
	"fmt"
	"slices"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// check checks the options that need no file and returns the mode, the
// sides (the source side first) and the object store (nil for none).
func (o Options) check() (v1alpha1.Mode, []*sideInput, *objectStore, error) {
	mode := v1alpha1.Mode(o.Mode)
	if mode == "" {
		mode = v1alpha1.ModeAsyncDR
	}
	if !slices.Contains(v1alpha1.Modes, mode) {
		return "", nil, nil, fmt.Errorf("--mode %q: use async-dr, migration or sync-dr", o.Mode)
	}
	sides := o.sides()
	for _, s := range sides {
		if err := s.check(mode); err != nil {
			return "", nil, nil, err
		}
	}
	store, err := o.checkObjectStore(mode)
	if err != nil {
		return "", nil, nil, err
	}
	tokens := make([]secretSource, 0, len(sides))
	for _, s := range sides {
		tokens = append(tokens, secretSource{fileFlag: s.flag("token-file"), file: s.TokenFile})
	}
	if err := checkOneStdin(append(tokens, store.sources()...)); err != nil {
		return "", nil, nil, err
	}
	return mode, sides, store, nil
}

// render decodes, defaults, validates and renders the request it is about
// to write through the function's own steps (fn.DecodeFile, then
// fn.Processor.RenderRequest for every side), its inputs' plaintext in
// memory; it returns the warnings (each once), or a *FindingsError.
func render(request []byte, files []input, bidirectional bool, enc secrets.Encryptor, now time.Time) (diag.Findings, error) {
	obj, err := sdk.ParseKubeObject(request)
	if err != nil {
		return nil, fmt.Errorf("the request does not parse: %s", diag.ScrubParserError(err))
	}
	req := fn.DecodeFile(fn.FileRequest{Object: obj, File: RequestFile})
	plain := make(map[string][]byte, len(files))
	for _, f := range files {
		plain[f.name] = f.data
	}
	res := secrets.NewMemoryResolver(plain)
	p := &fn.Processor{Encryptor: enc, Now: func() time.Time { return now }}
	sides := []v1alpha1.Side{""}
	if bidirectional {
		sides = []v1alpha1.Side{v1alpha1.SideSource, v1alpha1.SideDestination}
	}
	var fs diag.Findings
	for _, side := range sides {
		for _, f := range p.RenderRequest(req, side, res).Findings {
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
