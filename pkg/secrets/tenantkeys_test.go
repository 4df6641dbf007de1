package secrets_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// readKey returns the text of an age key file.
func readKey(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// secretKey is the private key line of an age key file.
func secretKey(t *testing.T, keyFile string) string {
	t.Helper()
	for _, line := range strings.Split(keyFile, "\n") {
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			return line
		}
	}
	t.Fatal("no AGE-SECRET-KEY line")
	return ""
}

// TestTenantKeysOnly: a decryptor given a tenant's keys opens the files
// encrypted to them and nothing else, even when the environment holds the
// key that would open the file (SOPS_AGE_KEY_FILE here), in both builds.
func TestTenantKeysOnly(t *testing.T) {
	testenv.UseDemoKey(t) // the environment could open every demo fixture
	demo, other := readKey(t, testenv.DemoKeyFile()), readKey(t, testenv.OtherKeyFile())
	cases := []struct {
		name   string
		keys   secrets.TenantKeys
		file   string
		opened bool
	}{
		{"own key opens own file", secrets.TenantKeys{Tenant: "team-b", AgeIdentities: other}, "kubeconfig-otherkey.yaml", true},
		{"demo tenant opens demo file", secrets.TenantKeys{Tenant: "team-a", AgeIdentities: demo}, "kubeconfig.yaml", true},
		{"another tenant's file is refused although the environment holds its key", secrets.TenantKeys{Tenant: "team-b", AgeIdentities: other}, "kubeconfig.yaml", false},
		{"a binary file likewise", secrets.TenantKeys{Tenant: "team-b", AgeIdentities: other}, "token.enc", false},
		{"a tenant with PGP only never falls back to the environment's age key", secrets.TenantKeys{Tenant: "team-c", GnuPGHome: gpgDir(t)}, "kubeconfig.yaml", false},
		{"comments and blank lines are ignored", secrets.TenantKeys{Tenant: "team-a", AgeIdentities: "# team a\n\n" + demo}, "kubeconfig.yaml", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dec, err := testsops.NewTenantDecryptor(&c.keys)
			if err != nil {
				t.Fatal(err)
			}
			res := secrets.NewResolver(openRoot(t, secretstest.FixtureDir(t)), dec)
			_, err = res.Resolve(secrets.Ref{File: c.file})
			if c.opened {
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				return
			}
			e := errorWithReason(t, err, secrets.ReasonNoKey)
			if e.File != c.file {
				t.Errorf("the error names file %q, want %q", e.File, c.file)
			}
			secretstest.AssertContains(t, e.Error(), `tenant "`+c.keys.Tenant+`"`, "no other tenant's key is ever tried")
			secretstest.AssertNoSecret(t, e.Error(), secretKey(t, demo), secretKey(t, other))
			if strings.Contains(e.Error(), "SOPS_AGE_KEY") {
				t.Errorf("a tenant's error points at the environment's key sources: %s", e)
			}
		})
	}
}

// TestTenantKeysRefusedWhenUnusable: keys that cannot work are refused
// when the decryptor is made, and the error never quotes them.
func TestTenantKeysRefusedWhenUnusable(t *testing.T) {
	testenv.Isolate(t)
	const notAKey = "AGE-SECRET-KEY-1NOTREALLYAKEYBUTSECRETLOOKING"
	cases := []struct {
		name string
		keys secrets.TenantKeys
		want string
	}{
		{"no name", secrets.TenantKeys{AgeIdentities: readKey(t, testenv.DemoKeyFile())}, "no name"},
		{"no key", secrets.TenantKeys{Tenant: "team-a", AgeIdentities: " \n"}, `tenant "team-a" has no key`},
		{"relative GnuPG home", secrets.TenantKeys{Tenant: "team-a", GnuPGHome: "gnupg"}, "not an absolute path"},
		{"a GnuPG home sops would ignore (mode 0755)", secrets.TenantKeys{Tenant: "team-a", GnuPGHome: t.TempDir()}, "cannot be used"},
		{"a line that is not an identity", secrets.TenantKeys{Tenant: "team-a", AgeIdentities: notAKey}, "not an age identity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := testsops.NewTenantDecryptor(&c.keys)
			if err == nil {
				t.Fatal("accepted")
			}
			secretstest.AssertContains(t, err.Error(), c.want)
			secretstest.AssertNoSecret(t, err.Error(), notAKey, "NOTREALLY")
		})
	}
}

// TestTenantPGPHome: a tenant's PGP keys come from its own GnuPG home only:
// the environment's GNUPGHOME (which holds the key here) is never used.
func TestTenantPGPHome(t *testing.T) {
	testenv.Isolate(t)
	home, fpr := secretstest.GPGHome(t)
	t.Setenv("GNUPGHOME", home) // the environment can open the file
	enc, err := testsops.NewFixtureEncryptor().EncryptYAML([]byte("token: pgp-tenant-canary\n"), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{PGP: []string{fpr}}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "pgp.yaml"), enc, 0o600); err != nil {
		t.Fatal(err)
	}
	resolve := func(k secrets.TenantKeys) error {
		dec, err := testsops.NewTenantDecryptor(&k)
		if err != nil {
			t.Fatal(err)
		}
		_, err = secrets.NewResolver(openRoot(t, dir), dec).Resolve(secrets.Ref{File: "pgp.yaml", Key: "token"})
		return err
	}
	if err := resolve(secrets.TenantKeys{Tenant: "team-a", GnuPGHome: home}); err != nil {
		t.Fatalf("the tenant's own GnuPG home: %v", err)
	}
	err = resolve(secrets.TenantKeys{Tenant: "team-b", GnuPGHome: gpgDir(t)})
	e := errorWithReason(t, err, secrets.ReasonNoKey)
	secretstest.AssertContains(t, e.Error(), `tenant "team-b"`)
	if e.File != "pgp.yaml" {
		t.Errorf("the error names file %q", e.File)
	}
	secretstest.AssertNoSecret(t, e.Error(), "pgp-tenant-canary")
	err = resolve(secrets.TenantKeys{Tenant: "team-c", AgeIdentities: readKey(t, testenv.OtherKeyFile())})
	assertReason(t, err, secrets.ReasonNoKey)
	// The tenant's home works with the environment's gone.
	t.Setenv("GNUPGHOME", gpgDir(t))
	if err := resolve(secrets.TenantKeys{Tenant: "team-a", GnuPGHome: home}); err != nil {
		t.Fatalf("the tenant's own GnuPG home, no GNUPGHOME: %v", err)
	}
}

// gpgDir is an empty directory GnuPG accepts as a home (mode 0700).
func gpgDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	if err := os.Chmod(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}
