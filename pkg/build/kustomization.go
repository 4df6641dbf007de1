package build

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// ErrUnsupported is returned when the kustomization asks for something the
// shared renderer does not do (any kustomize feature but generators).
var ErrUnsupported = errors.New("the kustomization uses what build does not render")

// readKustomization reads DIR's kustomization file with kustomize's own
// decoder (types.Kustomization.Unmarshal and FixKustomization, exactly as
// `kustomize build` reads it: same field names, same case-insensitive
// matching, same deprecated spellings), so that what build sees is what
// kustomize would see. It returns the file's name and the kustomization.
func readKustomization(files *secrets.Resolver, parse *secrets.ParseBudget) (string, *types.Kustomization, error) {
	var found []string
	var data []byte
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		b, err := files.ReadFile(name)
		if secrets.ReasonOf(err) == secrets.ReasonNotFound {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		found, data = append(found, name), b
	}
	switch len(found) {
	case 0:
		return "", nil, fmt.Errorf("%w; refusing to print an empty render, which Argo CD would apply by pruning the live ClusterPair: the directory has no %s",
			ErrEmptyRender, strings.Join(konfig.RecognizedKustomizationFileNames(), ", "))
	case 1:
	default:
		return "", nil, fmt.Errorf("the directory has %d kustomization files (%s); kustomize refuses that too: keep one", len(found), strings.Join(found, ", "))
	}
	name := found[0]
	if err := parse.Spend(name, data); err != nil {
		return "", nil, err
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return "", nil, fmt.Errorf("%s: %s", name, diag.ScrubParserError(err))
	}
	k.FixKustomization()
	if errs := k.EnforceFields(); len(errs) > 0 {
		return "", nil, fmt.Errorf("%s: %s", name, strings.Join(errs, "; "))
	}
	if k.Kind != types.KustomizationKind {
		return "", nil, fmt.Errorf("%w: %s is a %s; build renders a %s", ErrUnsupported, name, k.Kind, types.KustomizationKind)
	}
	if set := setFields(k); len(set) > 0 {
		return "", nil, fmt.Errorf("%w: %s sets %s. The shared renderer renders only the ClusterPairRequests a kustomization lists under generators:, "+
			"in this process: it runs no program, fetches nothing and applies no other kustomize feature (several can run programs or fetch URLs). "+
			"Move the other objects to an Application or Kustomization of their own, or render this directory with `kustomize build --enable-alpha-plugins --enable-exec` in a pipeline that trusts the repository",
			ErrUnsupported, name, strings.Join(set, ", "))
	}
	return name, &k, nil
}

// rendered are the fields of a Kustomization that build interprets (its
// identity and metadata are not rendered by kustomize either).
var rendered = map[string]bool{"TypeMeta": true, "MetaData": true, "Generators": true}

// setFields lists the JSON names of the kustomization's fields, other than
// those build renders, that hold a value. It reads kustomize's own type, so
// a field kustomize adds is refused until build knows it.
func setFields(k types.Kustomization) []string {
	var set []string
	v := reflect.ValueOf(k)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if rendered[f.Name] || empty(v.Field(i)) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		set = append(set, name)
	}
	return set
}

// empty is a zero value or an empty list or map.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return v.IsZero()
}

// generatorRequests reads the requests of the kustomization's generators:
// each entry must be a file next to the kustomization (not a directory, a
// URL, a remote base, an inline config or a file elsewhere), and each of
// its documents a ClusterPairRequest. Nothing an entry says is run or
// fetched; files are read through the root only.
func generatorRequests(files *secrets.Resolver, parse *secrets.ParseBudget, kustomization string, k *types.Kustomization) ([]fn.FileRequest, error) {
	if len(k.Generators) == 0 {
		return nil, fmt.Errorf("%w; refusing to print an empty render, which Argo CD would apply by pruning the live ClusterPair: %s lists no generators (list the ClusterPairRequest file under `generators:`, not `resources:`)",
			ErrEmptyRender, kustomization)
	}
	var out []fn.FileRequest
	for i, entry := range k.Generators {
		field := fmt.Sprintf("%s: generators[%d]", kustomization, i)
		if why := generatorEntry(entry); why != "" {
			return nil, fmt.Errorf("%w: %s %s", ErrUnsupported, field, why)
		}
		data, err := files.ReadFile(entry)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", field, entry, err)
		}
		if err := parse.Spend(entry, data); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		objects, err := sdk.ParseKubeObjects(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %s is not a stream of Kubernetes objects: %s", field, entry, diag.ScrubParserError(err))
		}
		for j, o := range objects {
			if o.GetKind() != v1alpha1.Kind || !strings.HasPrefix(o.GetAPIVersion(), v1alpha1.Group+"/") {
				return nil, fmt.Errorf("%w: %s: document %d of %s is a %s %s, not a %s: build runs no other generator",
					ErrUnsupported, field, j+1, entry, o.GetAPIVersion(), o.GetKind(), v1alpha1.Kind)
			}
			out = append(out, fn.FileRequest{Object: o, File: entry, Index: j})
		}
	}
	return out, nil
}

// generatorEntry says why an entry of generators: is not a file next to
// the kustomization ("" when it is one). It is a rule of build's own, not
// a guess at kustomize's: whatever kustomize would make of the entry,
// build reads it as a file name inside the directory or refuses it.
func generatorEntry(entry string) string {
	switch {
	case entry == "" || strings.ContainsAny(entry, "\n\r\x00"):
		return "is not a file name (build reads no inline generator config)"
	case path.Clean(entry) != entry || strings.ContainsAny(entry, `/\`) || entry == "..":
		return fmt.Sprintf("%q is not a file next to the kustomization: build reads no directory, URL, remote base or file elsewhere "+
			"(a request's references resolve against the kustomization's directory under kustomize and the file's under kpt, so only a file beside it means the same to both)", entry)
	}
	return ""
}
