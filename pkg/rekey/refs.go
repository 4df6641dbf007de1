package rekey

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
)

// ref is one encrypted file a request references.
type ref struct {
	// path is the file's absolute path, inside the directory searched.
	path string
	// format is the SecretRef's format override ("" follows the extension).
	format string
	// by names the requests and fields that reference it.
	by []string
}

// findRefs returns the SOPS files referenced by the requests under dir,
// each once, in path order. A reference that leaves dir, or a request that
// does not decode, is an error naming the request and field.
func findRefs(dir string) ([]*ref, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	reqs, err := check.Find([]string{root})
	if err != nil {
		return nil, fmt.Errorf("searching %s for ClusterPairRequests: %w", dir, err)
	}
	byPath := map[string]*ref{}
	for _, r := range reqs {
		where := fmt.Sprintf("%s (request %s)", rel(root, r.Path), r.ID())
		if r.Problem != "" {
			return nil, fmt.Errorf("%s: %s", where, r.Problem)
		}
		req, _, err := v1alpha1.Decode(r.Document())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		for _, sr := range secretRefs(reflect.ValueOf(req.Spec), "spec") {
			if sr.ref.File == "" || sr.ref.AllowUnencrypted {
				continue
			}
			p, err := confine(root, filepath.Dir(r.Path), sr.ref.File)
			if err != nil {
				return nil, fmt.Errorf("%s: %s.file %q: %w", where, sr.field, sr.ref.File, err)
			}
			x := byPath[p]
			if x == nil {
				x = &ref{path: p, format: sr.ref.Format}
				byPath[p] = x
			}
			x.by = append(x.by, r.ID()+" "+sr.field)
		}
	}
	out := make([]*ref, 0, len(byPath))
	for _, x := range byPath {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

type fieldRef struct {
	field string
	ref   v1alpha1.SecretRef
}

var secretRefType = reflect.TypeOf(v1alpha1.SecretRef{})

// secretRefs walks the request's spec for every SecretRef, whatever field
// holds it, so that a new kind of reference is rekeyed without change here.
func secretRefs(v reflect.Value, path string) []fieldRef {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return secretRefs(v.Elem(), path)
	case reflect.Struct:
		if v.Type() == secretRefType {
			return []fieldRef{{field: path, ref: v.Interface().(v1alpha1.SecretRef)}}
		}
		var out []fieldRef
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			sub := path
			if name != "" && name != "-" {
				sub = path + "." + name
			}
			out = append(out, secretRefs(v.Field(i), sub)...)
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []fieldRef
		for i := 0; i < v.Len(); i++ {
			out = append(out, secretRefs(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	}
	return nil
}

// confine resolves file against the request's directory and refuses a
// path (or a symbolic link) that leads out of root: rekey rewrites files.
func confine(root, reqDir, file string) (string, error) {
	if filepath.IsAbs(file) {
		return "", fmt.Errorf("an absolute path; references are relative to the request")
	}
	p := filepath.Join(reqDir, file)
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("no such file")
		}
		return "", fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "lstat "))
	}
	if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("leads out of the directory being rekeyed")
	}
	return real, nil
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil {
		return r
	}
	return p
}
