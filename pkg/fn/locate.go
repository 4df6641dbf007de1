package fn

import (
	"fmt"
	"path"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// location is where a request sits: its file as its path annotation names
// it (relative to its package), and the directory its references resolve
// against, relative to the root.
type location struct{ file, dir string }

// locator places a request inside the root, or says why it cannot.
type locator func(o *sdk.KubeObject) (location, *diag.Finding)

// rootLocator locates requests from their path annotations, which only the
// operator's root bounds: the input (the request and every annotation kpt
// or kustomize put on it) is the repository's and may be anyone's, so an
// annotation may name a place inside the root and nowhere else. Nothing is
// read here: the request's directory is only opened, beneath the root, to
// prove that it is there (secrets.Root.Sub follows no symlink out of it).
func rootLocator(root *secrets.Root) locator {
	return func(o *sdk.KubeObject) (location, *diag.Finding) {
		base, placedBy := ".", ""
		if pkg := o.GetAnnotation(PackagePathAnnotation); pkg != "" {
			rel, ok := root.Rel(pkg)
			if !ok {
				return location{}, misplaced(PackagePathAnnotation, pkg, root, "is not a directory inside it")
			}
			base, placedBy = rel, PackagePathAnnotation
		}
		var file string
		for _, name := range []string{PathAnnotation, legacyPathAnnotation} {
			value := o.GetAnnotation(name)
			if value == "" {
				continue
			}
			if msg := localPath(value); msg != "" {
				return location{}, misplaced(name, value, root, msg)
			}
			if file == "" {
				file = value
				if path.Dir(path.Clean(value)) != "." {
					placedBy = name
				}
			}
		}
		dir := base
		if file != "" {
			dir = path.Join(base, path.Dir(path.Clean(file)))
		}
		if dir != "." {
			// The directory itself, through any symlink, must be in the root.
			sub, err := root.Sub(dir)
			if err != nil {
				return location{}, misplaced(placedBy, dir, root, "cannot be opened inside it ("+err.Error()+")")
			}
			_ = sub.Close()
		}
		return location{file: file, dir: dir}, nil
	}
}

// localPath says why a path annotation does not name a file below its
// package ("" when it does).
func localPath(p string) string {
	switch {
	case strings.ContainsRune(p, 0):
		return "contains a NUL byte"
	case path.IsAbs(p) || strings.HasPrefix(p, `\`) || len(p) > 1 && p[1] == ':':
		return "is absolute; it must be relative to the package"
	}
	if c := path.Clean(p); c == ".." || strings.HasPrefix(c, "../") {
		return "leaves the package with .."
	}
	return ""
}

// misplaced is the error finding for an annotation that places a request
// outside the root.
func misplaced(annotation, value string, root *secrets.Root, why string) *diag.Finding {
	return &diag.Finding{
		Severity: diag.Error,
		Field:    "metadata.annotations[" + annotation + "]",
		Message: fmt.Sprintf("%q %s: a request's files are read only inside the directory the renderer confines them to (%s: the directory it runs in, or --root), and annotations cannot move a request out of it; nothing was read",
			value, why, root.Dir()),
	}
}
