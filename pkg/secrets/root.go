package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// Root confines file access to one directory. The renderer opens the
// operator's root once (the directory it runs in, or --root) and each
// request's directory beneath it with Sub; symlinks are followed only while
// they stay inside the Root they are opened from.
type Root struct {
	dir  string
	root *os.Root
}

// OpenRoot opens dir as the confinement root.
func OpenRoot(dir string) (*Root, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve the directory: %w", err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open the directory %q: %w", dir, err)
	}
	return &Root{dir: dir, root: r}, nil
}

// Dir returns the root's directory.
func (r *Root) Dir() string { return r.dir }

// Close releases the root.
func (r *Root) Close() error { return r.root.Close() }

// Sub opens the directory rel (slash-separated, relative to r) as a Root of
// its own. Like every open under r, it cannot leave r: not lexically, and
// not through a symlink.
func (r *Root) Sub(rel string) (*Root, error) {
	if rel == "." {
		rel = ""
	}
	if rel != "" {
		if msg := v1alpha1.CheckRelativePath(rel); msg != "" {
			return nil, NewError(rel, ReasonPath, "%s", msg)
		}
	}
	clean := path.Clean("./" + rel)
	sub, err := r.root.OpenRoot(clean)
	if err != nil {
		return nil, r.openError(rel, err)
	}
	return &Root{dir: filepath.Join(r.dir, filepath.FromSlash(clean)), root: sub}, nil
}

// Rel returns the absolute path p relative to r's directory, slash-separated,
// and whether p lies inside it. Symlinks in either path are resolved only to
// compare them (a root reached through a symlink, like macOS's /tmp); what
// is later opened beneath the result is confined by Sub regardless.
func (r *Root) Rel(p string) (string, bool) {
	if !filepath.IsAbs(p) {
		return "", false
	}
	if rel, ok := within(r.dir, p); ok {
		return rel, true
	}
	dir, err1 := filepath.EvalSymlinks(r.dir)
	target, err2 := filepath.EvalSymlinks(p)
	if err1 != nil || err2 != nil {
		return "", false
	}
	return within(dir, target)
}

func within(dir, p string) (string, bool) {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	if err != nil || !filepath.IsLocal(rel) && rel != "." {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// ReadFile reads the regular file at the relative path rel.
func (r *Root) ReadFile(rel string) ([]byte, error) {
	if msg := v1alpha1.CheckRelativePath(rel); msg != "" {
		return nil, NewError(rel, ReasonPath, "%s", msg)
	}
	// O_NONBLOCK: opening a FIFO must not hang; the type is checked right after.
	f, err := r.root.OpenFile(path.Clean(rel), os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, r.openError(rel, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, NewError(rel, ReasonUnreadable, "cannot stat: %s", errText(err))
	}
	if !info.Mode().IsRegular() {
		return nil, NewError(rel, ReasonNotRegular, "is a %s, not a regular file", describeMode(info.Mode()))
	}
	if info.Size() > MaxFileSize {
		return nil, NewError(rel, ReasonTooLarge, "is %d bytes; the limit is %d", info.Size(), MaxFileSize)
	}
	data, tooLarge, err := ReadAtMost(f, MaxFileSize)
	if err != nil {
		return nil, NewError(rel, ReasonUnreadable, "read failed: %s", errText(err))
	}
	if tooLarge {
		return nil, NewError(rel, ReasonTooLarge, "exceeds the limit of %d bytes", MaxFileSize)
	}
	return data, nil
}

func (r *Root) openError(rel string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return NewError(rel, ReasonNotFound, "no such file under %q", r.dir)
	case errors.Is(err, fs.ErrPermission):
		return NewError(rel, ReasonUnreadable, "permission denied")
	case errors.Is(err, syscall.ELOOP):
		return NewError(rel, ReasonPath, "too many levels of symbolic links (a symlink loop?)")
	case strings.Contains(err.Error(), "escapes from parent"):
		return NewError(rel, ReasonEscapes, "resolves (through a symlink) outside %q; only files under it are read", r.dir)
	case errors.Is(err, syscall.ENOTDIR):
		return NewError(rel, ReasonNotFound, "a parent of the path is not a directory")
	case errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV):
		// Opening a socket (or a device without a driver) fails before the
		// type check after the open could run.
		kind := "special file"
		if info, serr := r.root.Stat(path.Clean(rel)); serr == nil {
			kind = describeMode(info.Mode())
		}
		return NewError(rel, ReasonNotRegular, "is a %s, not a regular file", kind)
	default:
		return NewError(rel, ReasonUnreadable, "cannot open: %s", errText(err))
	}
}

func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "special file"
	}
}

// errText returns the innermost system error text (without the path, which the
// caller already names).
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
