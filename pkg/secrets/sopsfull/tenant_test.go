package sopsfull

import (
	"bytes"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testvault"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// TestTenantVaultEntriesScopeKeys (security review): two tenants of one
// renderer share the organisation's Vault, each with its own transit key;
// the renderer holds one VAULT_TOKEN. With an hc_vault entry for the
// address alone (the only form earlier releases had) tenant A decrypted
// B's ciphertext copied into A's directory. Scoped to its key
// (hc_vault=ADDR/v1/ENGINE/keys/NAME), A's entry opens A's files only,
// and a file's metadata cannot stretch the scope (a key name or address
// path that the Vault client would resolve to B's key): nothing is asked
// of the Vault for them. An entry without a path still allows every key
// at the address (what SECURITY.md warns of when tenants share one).
func TestTenantVaultEntriesScopeKeys(t *testing.T) {
	testenv.Isolate(t)
	t.Setenv("VAULT_TOKEN", testvault.Token)
	srv := testvault.Start(t)
	policy := func(entry string) secrets.KeyPolicy {
		t.Helper()
		p, err := secrets.ParseKeyPolicy(entry)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// What tenant.Map.Tenant builds for each team's entry.
	policyA := policy("hc_vault=" + srv.URL + "/v1/transit/keys/team-a")
	policyB := policy("hc_vault=" + srv.URL + "/v1/transit/keys/team-b")
	ageA, err := os.ReadFile(testenv.OtherKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func(key string, p secrets.KeyPolicy) []byte {
		t.Helper()
		enc, err := NewEncryptor().EncryptYAML([]byte("token: "+key+"-secret\n"), secrets.EncryptOptions{
			Groups: []secrets.KeyGroup{{HCVaultTransit: []string{srv.KeyURI(key)}}},
			Policy: p,
		})
		if err != nil {
			t.Fatalf("encrypting to %s: %v", key, err)
		}
		return enc
	}
	encA, encB := encrypt("team-a", policyA), encrypt("team-b", policyB)
	decryptor := func(p secrets.KeyPolicy) *Decryptor {
		t.Helper()
		d, err := NewDecryptor().WithKeyPolicy(p).WithTenantKeys(&secrets.TenantKeys{Tenant: "team-a", AgeIdentities: string(ageA)})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	decA := decryptor(policyA)
	opens := func(d *Decryptor, enc []byte) string {
		t.Helper()
		doc, err := d.Decrypt("px-token.yaml", enc, secrets.FormatYAML)
		if err != nil {
			t.Fatalf("Decrypt: %v", err)
		}
		v, err := doc.Lookup("px-token.yaml", "token")
		if err != nil {
			t.Fatal(err)
		}
		return string(v.Bytes())
	}
	if got := opens(decA, encA); got != "team-a-secret" {
		t.Errorf("team-a's own file decrypted to %q", got)
	}

	// team-a's entry may be a glob over its keys: a name that the Vault
	// client's path.Join resolves to team-b's key must not match it.
	globA := policy("hc_vault=" + srv.URL + "/v1/transit/keys/team-a*")
	hostOnly := policy("hc_vault=" + srv.URL)
	refused := []struct {
		name   string
		policy secrets.KeyPolicy
		file   []byte
	}{
		{"team-b's file", policyA, encB},
		{"team-b's file, glob entry", globA, encB},
		{"a key name that climbs to team-b's key", globA, withVaultKey(t, encB, srv.URL, "transit", "team-a/../team-b")},
		{"an address whose path leads to team-b's key", policyA, withVaultKey(t, encB, srv.URL+"/v1/transit/decrypt/team-b", "transit", "team-a")},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			before := srv.Connections()
			_, err := decryptor(c.policy).Decrypt("px-token.yaml", c.file, secrets.FormatYAML)
			assertReason(t, err, secrets.ReasonKeyNotAllowed)
			if n := srv.Connections() - before; n != 0 {
				t.Errorf("tenant team-a's render opened %d connections to the Vault for team-b's file", n)
			}
			// The file is a real attack: an entry without a path lets
			// the Vault decrypt it with team-b's key.
			if got := opens(decryptor(hostOnly), c.file); got != "team-b-secret" {
				t.Errorf("with the whole Vault allowed it decrypted to %q", got)
			}
		})
	}
	t.Run("team-a may not encrypt to team-b's key", func(t *testing.T) {
		before := srv.Connections()
		_, err := NewEncryptor().EncryptYAML([]byte("a: b\n"), secrets.EncryptOptions{
			Groups: []secrets.KeyGroup{{HCVaultTransit: []string{srv.KeyURI("team-b")}}},
			Policy: policyA,
		})
		assertReason(t, err, secrets.ReasonKeyNotAllowed)
		if n := srv.Connections() - before; n != 0 {
			t.Errorf("%d connections", n)
		}
	})
}

// withVaultKey rewrites the Vault key of a SOPS YAML file (its "enc"
// kept: the fake Vault decrypts it under any key name).
func withVaultKey(t *testing.T, enc []byte, address, engine, name string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(enc, &doc); err != nil {
		t.Fatal(err)
	}
	keys := doc["sops"].(map[string]any)["hc_vault"].([]any)
	k := keys[0].(map[string]any)
	k["vault_address"], k["engine_path"], k["key_name"] = address, engine, name
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(out, enc) {
		t.Fatal("nothing rewritten")
	}
	return out
}
