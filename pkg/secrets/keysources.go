package secrets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ageKeySources says which age key sources sops looks at were there, for
// a "no usable key" error: a SOPS_AGE_KEY_FILE that does not exist is not
// the same mistake as a key that does not match. It names variables and
// states only (never a path's contents, nor a key), so that the message is
// the same on every machine.
func ageKeySources(getenv func(string) string) string {
	var parts []string
	fileState := func(p string) string {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "no such file"
		case err != nil:
			return "not readable"
		case fi.IsDir():
			return "a directory, not a key file"
		}
		return "present, no matching key"
	}
	if p := getenv("SOPS_AGE_KEY_FILE"); p != "" {
		parts = append(parts, "SOPS_AGE_KEY_FILE ("+fileState(p)+")")
	} else {
		parts = append(parts, "SOPS_AGE_KEY_FILE (unset)")
	}
	if getenv("SOPS_AGE_KEY") != "" {
		parts = append(parts, "SOPS_AGE_KEY (set, no matching key)")
	} else {
		parts = append(parts, "SOPS_AGE_KEY (unset)")
	}
	if getenv("SOPS_AGE_KEY_CMD") != "" {
		parts = append(parts, "SOPS_AGE_KEY_CMD (set)")
	}
	if dir, err := userConfigDir(getenv); err == nil {
		parts = append(parts, "sops/age/keys.txt in the user config directory ("+fileState(filepath.Join(dir, "sops", "age", "keys.txt"))+")")
	}
	return "age key sources: " + strings.Join(parts, ", ")
}

// userConfigDir is os.UserConfigDir read through getenv on Linux (XDG),
// and os.UserConfigDir elsewhere.
func userConfigDir(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return d, nil
	}
	if h := getenv("HOME"); h != "" && filepath.Separator == '/' {
		return filepath.Join(h, ".config"), nil
	}
	return os.UserConfigDir()
}

// envAgeKeySources is ageKeySources of the process environment.
func envAgeKeySources() string { return ageKeySources(os.Getenv) }
