package rekey

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestRekeyContactsNoKeyServiceUnlessAllowed: neither a file's metadata nor
// .sops.yaml (both the repository's) can make rekey contact a key service
// the operator has not allowed, where it would send the operator's Vault
// token and, encrypting, the data key; an allowed one is used.
func TestRekeyContactsNoKeyServiceUnlessAllowed(t *testing.T) {
	testenv.UseDemoKey(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	other := testenv.Recipient(t, testenv.OtherKeyFile())
	srv := testvault.Start(t)
	allowed, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	vaultRule := func(dir, key string) {
		conf := "creation_rules:\n  - path_regex: .*\n    key_groups:\n      - age: [" + other + "]\n        hc_vault: [" + srv.KeyURI(key) + "]\n"
		if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		setup  func(dir string)
		policy secrets.KeyPolicy
		ok     bool
	}{
		{"a file whose only key is Vault", func(dir string) {
			path := filepath.Join(dir, "destination-kubeconfig.yaml")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, testvault.VaultOnly(t, data, srv.URL), 0o600); err != nil {
				t.Fatal(err)
			}
		}, secrets.KeyPolicy{}, false},
		{"a creation rule naming Vault", func(dir string) { vaultRule(dir, "exfil") }, secrets.KeyPolicy{}, false},
		{"a creation rule naming an allowed Vault", func(dir string) { vaultRule(dir, "team") }, allowed, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := pairDir(t, other)
			tc.setup(dir)
			before := snapshot(t, dir)
			conns := srv.Connections()
			_, err := Run(Options{Dirs: []string{dir}, KeyPolicy: tc.policy})
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), "not allowed") {
					t.Fatalf("error = %v, want a key source not allowed", err)
				}
				if n := srv.Connections() - conns; n != 0 {
					t.Errorf("%d connections to the key service", n)
				}
				if strings.Contains(err.Error(), testvault.Token) {
					t.Error("the error contains the Vault token")
				}
				if d := snapshot(t, dir); len(d) != len(before) || !sameSnapshot(before, d) {
					t.Error("files changed")
				}
				return
			}
			if err != nil {
				t.Fatalf("rekey with the Vault allowed: %v", err)
			}
			if srv.Requests() == 0 {
				t.Error("the allowed Vault was not used")
			}
		})
	}
}

func sameSnapshot(a, b map[string]string) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}
