package author

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrExists is returned when a file New would write already exists and
// Force is not set.
var ErrExists = errors.New("refusing to overwrite")

// outFile is a file to write: its data is ciphertext or public content,
// never a plaintext credential.
type outFile struct {
	name string
	data []byte
}

// otherKustomizations are the names kustomize also accepts; one of them next
// to our kustomization.yaml would make kustomize refuse the directory.
var otherKustomizations = []string{"kustomization.yml", "Kustomization"}

// checkTargets fails when dir already has any of names (unless force) or
// another kustomization file (always: --force would not fix it).
func checkTargets(dir string, names []string, force bool) error {
	var existing []string
	for _, n := range names {
		if fi, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			if fi.IsDir() {
				return fmt.Errorf("%s is a directory; --force replaces files only", filepath.Join(dir, n))
			}
			existing = append(existing, n)
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("checking %s: %w", filepath.Join(dir, n), err)
		}
	}
	for _, n := range otherKustomizations {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			return fmt.Errorf("%s already has %s; kustomize would refuse a second kustomization file next to %s: remove it or choose another --dir", dir, n, KustomizationFile)
		}
	}
	if len(existing) > 0 && !force {
		return fmt.Errorf("%w %s in %s (use --force to replace them)", ErrExists, strings.Join(existing, ", "), dir)
	}
	return nil
}

// writeFiles writes every file into dir, all or nothing as far as the file
// system allows: every file is first staged (written, synced, made 0644)
// and only then are all put into place. See stage and commit: on Linux no
// named temporary file exists at any point a kill could leave one behind,
// except the two-syscall window of replacing an existing file (--force).
func writeFiles(dir string, files []outFile, force bool) error {
	//nolint:gosec // G301: a pair directory is committed to Git and read by kustomize; it holds ciphertext only.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	if err := checkTargets(dir, names, force); err != nil {
		return err
	}
	staged, err := stageAll(dir, files)
	defer discardAll(staged)
	if err != nil {
		return err
	}
	for _, s := range staged {
		if err := s.commit(); err != nil {
			return err
		}
	}
	return nil
}

// stageAll stages every file; on error, what was staged is returned for
// discardAll.
func stageAll(dir string, files []outFile) ([]*stagedFile, error) {
	staged := make([]*stagedFile, 0, len(files))
	for _, f := range files {
		s, err := stage(dir, f)
		if err != nil {
			return staged, err
		}
		staged = append(staged, s)
	}
	return staged, nil
}

// discardAll closes the staged files and removes the named temporary files
// of those not committed. An unnamed file vanishes when it is closed.
func discardAll(staged []*stagedFile) {
	for _, s := range staged {
		s.discard()
	}
}
