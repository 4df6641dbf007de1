package sopslean

import (
	"os"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfull"
)

// TestMain: the test binary is the co-process of these tests (the full
// build's ServeCommand, with package sopsfull).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ServeCommand {
		err := Serve(os.Stdin, os.Stdout, Full{Encryptor: sopsfull.NewEncryptor(), NewDecryptor: func(p secrets.KeyPolicy, t *secrets.TenantKeys) (secrets.Decryptor, error) {
			return sopsfull.NewDecryptor().WithKeyPolicy(p).WithTenantKeys(t)
		}})
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testDecryptor is the lean decryptor with this test binary as its
// co-process, closed when the test ends.
func testDecryptor(t *testing.T) *Decryptor {
	d := NewDecryptor().WithFullCommand(os.Args[0], ServeCommand)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// vaultFile is the kubeconfig fixture encrypted to the fake Vault only
// (by the sops library), so that only the full build decrypts it.
func vaultFile(t *testing.T, srv *testvault.Server, policy secrets.KeyPolicy) []byte {
	t.Helper()
	doc, err := sopsfull.NewDecryptor().Decrypt("kubeconfig.yaml", []byte(secretstest.ReadFixture(t, "kubeconfig.yaml")), secrets.FormatYAML)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := doc.Whole("kubeconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sopsfull.NewEncryptor().EncryptYAML(plain.Bytes(), secrets.EncryptOptions{Groups: []secrets.KeyGroup{{HCVaultTransit: []string{srv.KeyURI("k")}}}, Policy: policy})
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// TestLeanHandsOverOnlyAllowedVault: a file naming a Vault the policy does
// not allow is refused by the lean build itself, with no co-process started
// and no connection; one it allows is decrypted by the co-process, through
// the Vault.
func TestLeanHandsOverOnlyAllowedVault(t *testing.T) {
	testenv.UseDemoKey(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	allowed, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	data := vaultFile(t, srv, allowed)
	before, conns := srv.Requests(), srv.Connections()

	d := testDecryptor(t)
	_, err = d.Decrypt("kubeconfig.yaml", data, secrets.FormatYAML)
	secretstest.AssertReason(t, err, secrets.ReasonKeyNotAllowed, secrets.ReasonOf)
	if d.full.started || srv.Connections() != conns {
		t.Fatalf("a file whose key source is not allowed started the co-process (%v) or reached the Vault (%d connections)", d.full.started, srv.Connections()-conns)
	}

	doc, err := d.WithKeyPolicy(allowed).Decrypt("kubeconfig.yaml", data, secrets.FormatYAML)
	if err != nil {
		t.Fatalf("the allowed Vault's file: %v", err)
	}
	if _, err := doc.Lookup("kubeconfig.yaml", "current-context"); err != nil {
		t.Errorf("the handed-over document: %v", err)
	}
	if srv.Requests() == before {
		t.Error("the co-process did not use the allowed Vault")
	}
}

// TestHandOverKeepsTheRunsKeys: the co-process decrypts with the parent's
// tenant keys and policy, never the environment's. Tenant A's file names
// a Vault A may use (whose key does not open it) and an age key of the
// environment's (another tenant's): the co-process, given A's keys, refuses
// it naming A, where the environment's key would have opened it; a Vault
// allowed for another tenant only is refused before any hand-over.
func TestHandOverKeepsTheRunsKeys(t *testing.T) {
	testenv.UseDemoKey(t) // the environment holds the other tenant's age key
	srv := testvault.Start(t)
	data := testvault.AlsoVault(t, []byte(secretstest.ReadFixture(t, "kubeconfig.yaml")), srv.URL)
	ownKey, err := os.ReadFile(testenv.OtherKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	tenantA := &secrets.TenantKeys{Tenant: "team-a", AgeIdentities: string(ownKey)}
	allowsVault, err := secrets.ParseKeyPolicy("hc_vault=" + srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	allowsOther, err := secrets.ParseKeyPolicy("hc_vault=https://vault.team-b.example:8200")
	if err != nil {
		t.Fatal(err)
	}
	base := testDecryptor(t)
	for _, c := range []struct {
		name    string
		policy  secrets.KeyPolicy
		reason  secrets.Reason
		message string
	}{
		{"Vault allowed for tenant A", allowsVault, secrets.ReasonNoKey, `tenant "team-a"`},
		{"Vault allowed for another tenant only", allowsOther, secrets.ReasonKeyNotAllowed, "hc_vault " + srv.URL},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := base.WithKeyPolicy(c.policy).WithTenantKeys(tenantA)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Decrypt("team-a/kubeconfig.yaml", data, secrets.FormatYAML)
			secretstest.AssertReason(t, err, c.reason, secrets.ReasonOf)
			secretstest.AssertContains(t, err.Error(), c.message)
		})
	}
}
