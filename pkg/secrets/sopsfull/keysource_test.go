package sopsfull

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age/plugin"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestAllowedVaultIsUsed: with the fake Vault's address allowed, output
// encrypted to it decrypts through it, and the same file is refused (with
// no further connection) under a policy that does not allow it.
func TestAllowedVaultIsUsed(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	policy, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("spec:\n    server: https://dest.example:6443\n")
	enc, err := NewEncryptor().EncryptYAML(plain, secrets.EncryptOptions{Groups: []secrets.KeyGroup{{HCVaultTransit: []string{srv.KeyURI("k")}}}, Policy: policy})
	if err != nil {
		t.Fatalf("EncryptYAML: %v", err)
	}
	doc, err := NewDecryptor().WithKeyPolicy(policy).Decrypt("out.yaml", enc, secrets.FormatYAML)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	got, err := doc.Whole("out.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), plain) {
		t.Errorf("decrypted %q, want %q", got.Bytes(), plain)
	}
	if n := srv.Requests(); n != 2 {
		t.Errorf("the fake Vault answered %d transit requests, want 2 (encrypt, decrypt)", n)
	}

	before := srv.Connections()
	_, err = NewDecryptor().Decrypt("out.yaml", enc, secrets.FormatYAML)
	assertReason(t, err, secrets.ReasonKeyNotAllowed)
	if n := srv.Connections(); n != before {
		t.Errorf("a refused file made %d connections", n-before)
	}
}

// TestCreationRuleNamingVaultNeedsPolicy: `new` encrypts with the
// repository's .sops.yaml; a rule naming a Vault key is refused without an
// allowlist entry (nothing contacted) and used with one.
func TestCreationRuleNamingVaultNeedsPolicy(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	dir := t.TempDir()
	conf := "creation_rules:\n  - hc_vault_transit_uri: " + srv.KeyURI("k") + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "px-token.enc")
	_, err := NewEncryptor().EncryptFile([]byte("token"), target, secrets.FileEncryptOptions{})
	e := errorWithReason(t, err, secrets.ReasonKeyNotAllowed)
	secretstest.AssertContains(t, e.File, ".sops.yaml")
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
	policy, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	out, err := NewEncryptor().EncryptFile([]byte("token"), target, secrets.FileEncryptOptions{Policy: policy})
	if err != nil {
		t.Fatalf("EncryptFile with the address allowed: %v", err)
	}
	if len(out.Recipients) != 1 || srv.Requests() != 1 {
		t.Errorf("recipients %v, %d transit requests", out.Recipients, srv.Requests())
	}
}

// TestAllowedAgePluginRuns: with an age_plugin entry, encrypting to the
// plugin's recipient runs it (the fake one then fails).
func TestAllowedAgePluginRuns(t *testing.T) {
	testenv.Isolate(t)
	marker := secretstest.FakeAgePlugin(t, "evil")
	policy, err := secrets.ParseKeyPolicy("age_plugin=evil")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewEncryptor().EncryptYAML([]byte("spec: {a: b}\n"), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{Age: []string{plugin.EncodeRecipient("evil", []byte{1, 2, 3})}}}, Policy: policy}); err == nil {
		t.Error("the fake plugin fails, so must the encryption")
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the allowed age plugin did not run: %v", err)
	}
}

// TestRemoteKeyOfReadsWhatTheClientsUse: the full build describes a Vault
// key by its address, engine path and name and a Key Vault key by its URL,
// name and version, so that scoped allowlist entries match the keys sops
// will contact, and only those.
func TestRemoteKeyOfReadsWhatTheClientsUse(t *testing.T) {
	p, err := secrets.ParseKeyPolicy("hc_vault=https://vault:8200/v1/ns/transit/keys/team-a, azure_kv=https://v.vault.azure.net/keys/team-a")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		key  keys.MasterKey
		want secrets.RemoteKey
		ok   bool
	}{
		{hcvault.NewMasterKey("https://vault:8200", "ns/transit", "team-a"), secrets.RemoteKey{Kind: secrets.KindVault, Endpoint: "https://vault:8200", EnginePath: "ns/transit", ID: "team-a"}, true},
		{hcvault.NewMasterKey("https://vault:8200", "ns/transit", "team-b"), secrets.RemoteKey{Kind: secrets.KindVault, Endpoint: "https://vault:8200", EnginePath: "ns/transit", ID: "team-b"}, false},
		{hcvault.NewMasterKey("https://vault:8200", "transit", "team-a"), secrets.RemoteKey{Kind: secrets.KindVault, Endpoint: "https://vault:8200", EnginePath: "transit", ID: "team-a"}, false},
		{azkv.NewMasterKey("https://v.vault.azure.net", "team-a", "0123"), secrets.RemoteKey{Kind: secrets.KindAzureKV, Endpoint: "https://v.vault.azure.net", ID: "team-a", Version: "0123"}, true},
		{azkv.NewMasterKey("https://v.vault.azure.net", "team-a", "../team-b"), secrets.RemoteKey{Kind: secrets.KindAzureKV, Endpoint: "https://v.vault.azure.net", ID: "team-a", Version: "../team-b"}, false},
		{azkv.NewMasterKey("https://v.vault.azure.net", "team-b", ""), secrets.RemoteKey{Kind: secrets.KindAzureKV, Endpoint: "https://v.vault.azure.net", ID: "team-b"}, false},
	}
	for _, c := range cases {
		got, local := remoteKeyOf(c.key, false)
		if local || got != c.want {
			t.Errorf("remoteKeyOf(%s) = %+v (local %v), want %+v", c.key.ToString(), got, local, c.want)
		}
		if p.Allows(got) != c.ok {
			t.Errorf("Allows(%+v) = %v, want %v", got, !c.ok, c.ok)
		}
	}
}
