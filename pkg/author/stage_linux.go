package author

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// errNoUnnamedFiles means the directory's file system cannot create
// unnamed files; stage then falls back to a named temporary file.
var errNoUnnamedFiles = errors.New("unnamed temporary files are not supported here")

// openUnnamed creates an unnamed file in dir (open(2) with O_TMPFILE), mode
// 0600 until stage makes it 0644.
func openUnnamed(dir string) (*os.File, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	switch {
	case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EISDIR), errors.Is(err, unix.EINVAL):
		// EISDIR or EINVAL: a kernel older than O_TMPFILE; EOPNOTSUPP: a
		// file system without it.
		return nil, errNoUnnamedFiles
	case err != nil:
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)")), nil
}

// linkUnnamed gives the unnamed file f the name target: linkat(2) with
// AT_EMPTY_PATH where the process may (CAP_DAC_READ_SEARCH), else through
// /proc/self/fd, the unprivileged way open(2) documents for O_TMPFILE.
// Either fails if target exists.
func linkUnnamed(f *os.File, target string) error {
	err := unix.Linkat(int(f.Fd()), "", unix.AT_FDCWD, target, unix.AT_EMPTY_PATH)
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOENT) {
		err = unix.Linkat(unix.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", f.Fd()), unix.AT_FDCWD, target, unix.AT_SYMLINK_FOLLOW)
	}
	if err != nil {
		return &os.LinkError{Op: "link", Old: "(unnamed)", New: target, Err: err}
	}
	return nil
}
