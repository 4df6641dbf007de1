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
// system allows: each is written to a temporary file in dir (created with
// mode 0600, so no other user can read it while it is written), synced, and
// renamed into place only when all have been written.
func writeFiles(dir string, files []outFile, force bool) error {
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
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			_ = os.Remove(t) // already renamed: nothing to remove
		}
	}()
	for _, f := range files {
		tmp, err := writeTemp(dir, f)
		if err != nil {
			return err
		}
		temps = append(temps, tmp)
	}
	for i, f := range files {
		if err := os.Rename(temps[i], filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("moving %s into place: %w", f.name, err)
		}
	}
	return nil
}

func writeTemp(dir string, f outFile) (string, error) {
	tmp, err := os.CreateTemp(dir, "."+f.name+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", f.name, err)
	}
	name := tmp.Name()
	_, err = tmp.Write(f.data)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		// Ciphertext and the request are meant to be committed and read
		// by kustomize: the usual mode of a checked-out file.
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", fmt.Errorf("writing %s: %w", f.name, err)
	}
	return name, nil
}
