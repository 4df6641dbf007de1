package rekey

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// ref is one encrypted file a request references.
type ref struct {
	// path is the file's absolute path, inside the directory searched, and
	// rel the same relative to it.
	path, rel string
	// format is the SecretRef's format override ("" follows the extension).
	format string
	// by names the requests and fields that reference it.
	by []string
	// data is the file as read, through the directory's secrets.Root.
	data []byte
}

// findRefs returns the SOPS files referenced by the requests under dir,
// each once, in path order, read through a secrets.Root of dir: a
// reference that leaves dir (by "..", an absolute path or a symlink), or a
// request that does not decode, is an error naming the request and field.
func findRefs(dir string) ([]*ref, error) {
	root, err := secrets.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	defer root.Close()
	reqs, err := check.Find([]string{root.Dir()})
	if err != nil {
		return nil, fmt.Errorf("searching %s for ClusterPairRequests: %w", dir, err)
	}
	byPath := map[string]*ref{}
	for _, r := range reqs {
		reqDir, _ := root.Rel(filepath.Dir(r.Path))
		where := fmt.Sprintf("%s (request %s)", path.Join(reqDir, filepath.Base(r.Path)), r.ID())
		if r.Problem != "" {
			return nil, fmt.Errorf("%s: %s", where, r.Problem)
		}
		req, _, err := v1alpha1.Decode(r.Document())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		for _, sr := range allSecretRefs(req) {
			if sr.Ref.File == "" || sr.Ref.AllowUnencrypted {
				continue
			}
			rel := path.Join(reqDir, sr.Ref.File)
			x := byPath[rel]
			if x == nil {
				data, err := root.ReadFile(rel)
				if err != nil {
					return nil, fmt.Errorf("%s: %s.file %q: %s", where, sr.Field, sr.Ref.File, readError(err))
				}
				x = &ref{path: filepath.Join(root.Dir(), filepath.FromSlash(rel)), rel: rel, format: sr.Ref.Format, data: data}
				byPath[rel] = x
			}
			x.by = append(x.by, r.ID()+" "+sr.Field)
		}
	}
	out := make([]*ref, 0, len(byPath))
	for _, x := range byPath {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// allSecretRefs is every secret reference of the request, each once: both
// sides' (v1alpha1's SecretRefs), the object store's under the first.
func allSecretRefs(req *v1alpha1.ClusterPairRequest) []v1alpha1.FieldRef {
	var out []v1alpha1.FieldRef
	seen := map[string]bool{}
	for _, side := range []v1alpha1.Side{v1alpha1.SideSource, v1alpha1.SideDestination} {
		for _, r := range req.SecretRefs(side) {
			if !seen[r.Field] {
				seen[r.Field] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// readError words a confined read's failure for rekey, which rewrites the
// files it reads.
func readError(err error) string {
	switch secrets.ReasonOf(err) {
	case secrets.ReasonPath, secrets.ReasonEscapes:
		return "leads out of the directory being rekeyed"
	case secrets.ReasonNotFound:
		return "no such file"
	}
	return err.Error()
}
