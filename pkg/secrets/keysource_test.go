package secrets_test

import (
	"os"
	"strings"
	"testing"

	"filippo.io/age/plugin"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// These tests run in both builds (go test and go test -tags lean): a Vault
// address in a file's metadata or among the recipients is contacted only
// when the operator's KeyPolicy allows it. The fake Vault counts every
// connection it accepts.

func vaultFixture(t *testing.T, srv *testvault.Server) []byte {
	t.Helper()
	data, err := os.ReadFile(secretstest.SrcFixture("kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return testvault.VaultOnly(t, data, srv.URL)
}

// TestVaultNotAllowedMakesNoConnection: without an allowlist entry for
// its address (none, or another address), a Vault-encrypted file is refused
// with ReasonKeyNotAllowed, naming the file and the address, and the Vault
// listener sees no connection.
func TestVaultNotAllowedMakesNoConnection(t *testing.T) {
	testenv.UseDemoKey(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	data := vaultFixture(t, srv)
	other, err := secrets.ParseKeyPolicy("hc_vault=http://127.0.0.1:1, kms=*, azure_kv=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for name, policy := range map[string]secrets.KeyPolicy{"no policy": {}, "other entries": other} {
		t.Run(name, func(t *testing.T) {
			_, err := testsops.NewDecryptorWithPolicy(policy).Decrypt("team-a/kubeconfig.yaml", data, secrets.FormatYAML)
			e := errorWithReason(t, err, secrets.ReasonKeyNotAllowed)
			if e.File != "team-a/kubeconfig.yaml" {
				t.Errorf("the error names %q", e.File)
			}
			secretstest.AssertContains(t, e.Error(), "hc_vault "+srv.URL, "hc_vault="+srv.URL, "nothing was contacted")
		})
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}

// TestScopedVaultEntryAllowsItsKeysOnly: an hc_vault entry scoped to
// ENGINE/keys/NAME allows a file's Vault key only when its engine_path and
// key_name (as each build reads the metadata) match: another key of the
// same Vault is refused like another Vault (no connection, no hand-over)
// and the refusal suggests the entry for that key alone; a matching key is
// used (the full build contacts the Vault, whose answer for the fixture's
// fake data key then fails) or handed over (lean).
func TestScopedVaultEntryAllowsItsKeysOnly(t *testing.T) {
	testenv.UseDemoKey(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	data := vaultFixture(t, srv) // engine_path transit, key_name k
	for _, entry := range []string{"/v1/transit/keys/other", "/v1/transit/keys/k-*", "/v1/other/keys/k", "/v1/*/transit/keys/k"} {
		t.Run("refused by "+entry, func(t *testing.T) {
			policy, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL + entry)
			if err != nil {
				t.Fatal(err)
			}
			_, err = testsops.NewDecryptorWithPolicy(policy).Decrypt("team-a/kubeconfig.yaml", data, secrets.FormatYAML)
			e := errorWithReason(t, err, secrets.ReasonKeyNotAllowed)
			secretstest.AssertContains(t, e.Error(), "hc_vault "+srv.URL+" key k", "hc_vault="+srv.URL+"/v1/transit/keys/k ", "nothing was contacted")
			if n := srv.Connections(); n != 0 {
				t.Fatalf("the Vault listener accepted %d connections", n)
			}
		})
	}
	for _, entry := range []string{"/v1/transit/keys/k", "/v1/trans*/keys/*"} {
		t.Run("allowed by "+entry, func(t *testing.T) {
			policy, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL + entry)
			if err != nil {
				t.Fatal(err)
			}
			before := srv.Connections()
			_, err = testsops.NewDecryptorWithPolicy(policy).Decrypt("team-a/kubeconfig.yaml", data, secrets.FormatYAML)
			switch {
			case err == nil:
				t.Fatal("the fixture's Vault data key is not a real one, yet the file decrypted")
			case secrets.ReasonOf(err) == secrets.ReasonKeyNotAllowed:
				t.Fatalf("refused: %v", err)
			case !testsops.Lean && srv.Connections() == before:
				t.Fatalf("the full build did not contact the allowed Vault: %v", err)
			}
		})
	}
}

// TestAgeKeyStillDecryptsBesideANotAllowedVault: a file with an age key
// and a Vault key decrypts with the age key, and Vault is not contacted.
func TestAgeKeyStillDecryptsBesideANotAllowedVault(t *testing.T) {
	testenv.UseDemoKey(t)
	srv := testvault.Start(t)
	data, err := os.ReadFile(secretstest.SrcFixture("kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsops.NewDecryptor().Decrypt("kubeconfig.yaml", testvault.AlsoVault(t, data, srv.URL), secrets.FormatYAML)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if _, err := doc.Whole("kubeconfig.yaml"); err != nil {
		t.Fatal(err)
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}

// TestEncryptToNotAllowedVaultMakesNoConnection: output.encrypt naming a
// Vault key the policy does not allow is refused before any key is
// contacted, in both builds (the lean one does not hand it over).
func TestEncryptToNotAllowedVaultMakesNoConnection(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	_, err := testsops.NewEncryptor().EncryptYAML([]byte("spec: {a: b}\n"), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{
		Age:            []string{testenv.Recipient(t, testenv.DemoKeyFile())},
		HCVaultTransit: []string{srv.KeyURI("k") + "?token=QUERYSECRET"},
	}}})
	e := errorWithReason(t, err, secrets.ReasonKeyNotAllowed)
	secretstest.AssertContains(t, e.Error(), "hc_vault "+srv.URL)
	if strings.Contains(e.Error(), "QUERYSECRET") || strings.Contains(e.Error(), "/v1/") {
		t.Errorf("the error shows more of the URL than scheme, host and port: %v", e)
	}
	if n := srv.Connections(); n != 0 {
		t.Fatalf("the Vault listener accepted %d connections", n)
	}
}

// TestEncryptToAgePluginNeedsPolicy: an age plugin recipient in
// output.encrypt (age1NAME1...) would run age-plugin-NAME; without an
// age_plugin entry it is refused and the plugin does not run.
func TestEncryptToAgePluginNeedsPolicy(t *testing.T) {
	testenv.Isolate(t)
	marker := secretstest.FakeAgePlugin(t, "evil")
	_, err := testsops.NewEncryptor().EncryptYAML([]byte("spec: {a: b}\n"), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{Age: []string{plugin.EncodeRecipient("evil", []byte{1, 2, 3})}}}})
	e := errorWithReason(t, err, secrets.ReasonKeyNotAllowed)
	secretstest.AssertContains(t, e.Error(), "age_plugin evil", "age_plugin=evil")
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the age plugin ran")
	}
}
