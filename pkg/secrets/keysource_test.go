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
