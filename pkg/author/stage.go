package author

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// stagedFile is the content of one file, written and synced but not yet in
// place. On Linux it is an unnamed file (O_TMPFILE) that has no directory
// entry until commit links it, so a process killed before then (SIGKILL
// included) leaves nothing behind: the kernel frees it with the last file
// descriptor. Where O_TMPFILE is not available (another OS, or a file
// system without it) it is a named temporary file ".NAME.tmp-*" (mode 0600
// while written) that a SIGKILL can leave behind; it holds only what the
// file would have held (ciphertext or public content).
type stagedFile struct {
	dir, name string
	// file is the open staged file; nil once discarded.
	file *os.File
	// tmp is the named temporary file, "" for an unnamed one.
	tmp string
	// done is set once the file is in place.
	done bool
}

// stage writes f's data to a new staged file in dir.
func stage(dir string, f outFile) (*stagedFile, error) {
	s := &stagedFile{dir: dir, name: f.name}
	file, err := openUnnamed(dir)
	if err != nil {
		if !errors.Is(err, errNoUnnamedFiles) {
			return nil, fmt.Errorf("writing %s: %w", f.name, err)
		}
		if file, err = os.CreateTemp(dir, "."+f.name+".tmp-*"); err != nil {
			return nil, fmt.Errorf("writing %s: %w", f.name, err)
		}
		s.tmp = file.Name()
	}
	s.file = file
	_, err = file.Write(f.data)
	if err == nil {
		err = file.Sync()
	}
	if err == nil {
		// Ciphertext and the request are meant to be committed and read
		// by kustomize: the usual mode of a checked-out file.
		err = file.Chmod(0o644)
	}
	if err != nil {
		s.discard()
		return nil, fmt.Errorf("writing %s: %w", f.name, err)
	}
	return s, nil
}

// commit puts the staged file in place. An unnamed file is linked to its
// name directly when the name is free (failing with ErrExists if someone
// created it meanwhile); one that replaces an existing file (--force) is
// linked to a temporary name and renamed over it, so that readers see the
// old or the new file, never none. A named temporary file is renamed.
func (s *stagedFile) commit() error {
	target := filepath.Join(s.dir, s.name)
	switch {
	case s.tmp != "":
		if err := os.Rename(s.tmp, target); err != nil {
			return fmt.Errorf("moving %s into place: %w", s.name, err)
		}
	default:
		_, statErr := os.Lstat(target)
		if errors.Is(statErr, os.ErrNotExist) {
			if err := linkUnnamed(s.file, target); err != nil {
				if errors.Is(err, os.ErrExist) {
					return fmt.Errorf("%w %s in %s: it appeared while writing", ErrExists, s.name, s.dir)
				}
				return fmt.Errorf("moving %s into place: %w", s.name, err)
			}
			break
		}
		if err := s.replace(target); err != nil {
			return fmt.Errorf("moving %s into place: %w", s.name, err)
		}
	}
	s.done = true
	return nil
}

// replace links the unnamed file to a fresh temporary name and renames it
// over target.
func (s *stagedFile) replace(target string) error {
	tmp, err := os.CreateTemp(s.dir, "."+s.name+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_ = tmp.Close()
	// linkat refuses an existing name: free the one just reserved.
	if err := os.Remove(name); err != nil {
		return err
	}
	if err := linkUnnamed(s.file, name); err != nil {
		return err
	}
	if err := os.Rename(name, target); err != nil {
		_ = os.Remove(name)
		return err
	}
	return nil
}

// discard closes the staged file and, unless it was put in place, removes
// its named temporary file.
func (s *stagedFile) discard() {
	if s.file != nil {
		_ = s.file.Close()
		s.file = nil
	}
	if s.tmp != "" && !s.done {
		_ = os.Remove(s.tmp) //nolint:gosec // G703: our own temporary file, named by os.CreateTemp in the pair directory.
	}
}
