package secrets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgeKeySources: the error tells a missing SOPS_AGE_KEY_FILE from a
// present key file that does not match, and never prints a key.
func TestAgeKeySources(t *testing.T) {
	home := t.TempDir()
	keyFile := filepath.Join(home, "keys.txt")
	if err := os.WriteFile(keyFile, []byte("AGE-SECRET-KEY-1NOTAREALKEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	defaultKeys := filepath.Join(home, ".config", "sops", "age", "keys.txt")
	cases := []struct {
		name    string
		env     map[string]string
		setup   func()
		want    []string
		notWant []string
	}{
		{"nothing set", map[string]string{"HOME": home}, nil,
			[]string{"SOPS_AGE_KEY_FILE (unset)", "SOPS_AGE_KEY (unset)", "user config directory (no such file)"}, nil},
		{"key file missing", map[string]string{"HOME": home, "SOPS_AGE_KEY_FILE": filepath.Join(home, "nope.txt")}, nil,
			[]string{"SOPS_AGE_KEY_FILE (no such file)"}, []string{"nope.txt"}},
		{"key file present", map[string]string{"HOME": home, "SOPS_AGE_KEY_FILE": keyFile}, nil,
			[]string{"SOPS_AGE_KEY_FILE (present, no matching key)"}, []string{keyFile}},
		{"key file is a directory", map[string]string{"HOME": home, "SOPS_AGE_KEY_FILE": home}, nil,
			[]string{"SOPS_AGE_KEY_FILE (a directory, not a key file)"}, nil},
		{"inline key", map[string]string{"HOME": home, "SOPS_AGE_KEY": "AGE-SECRET-KEY-1SECRETVALUE", "SOPS_AGE_KEY_CMD": "pass age"}, nil,
			[]string{"SOPS_AGE_KEY (set, no matching key)", "SOPS_AGE_KEY_CMD (set)"}, []string{"SECRETVALUE", "pass age"}},
		{"default key file", map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, ".config")}, func() {
			if err := os.MkdirAll(filepath.Dir(defaultKeys), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(defaultKeys, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{"sops/age/keys.txt in the user config directory (present, no matching key)"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup()
			}
			got := ageKeySources(func(k string) string { return c.env[k] })
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, n := range c.notWant {
				if strings.Contains(got, n) {
					t.Errorf("%q shows %q", got, n)
				}
			}
		})
	}
}
