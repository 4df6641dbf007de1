package sopsfile_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3/decrypt"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// newAgeKey writes a fresh age identity to a temp file.
func newAgeKey(t testing.TB) (file, recipient, identity string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "key.txt")
	content := fmt.Sprintf("# public key: %s\n%s\n", id.Recipient(), id)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, id.Recipient().String(), id.String()
}

func identityOf(t testing.TB, keyFile string) string {
	t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "AGE-SECRET-KEY-") {
			return line
		}
	}
	t.Fatalf("%s: no identity", keyFile)
	return ""
}

// shamirFile encrypts a YAML file to three age key groups with a
// threshold of two, through a .sops.yaml as users do.
func shamirFile(t *testing.T, recipients [3]string) []byte {
	t.Helper()
	cli := newSOPSCLI(t)
	config := fmt.Sprintf(`creation_rules:
  - path_regex: .*
    shamir_threshold: 2
    key_groups:
      - age: [%s]
      - age: [%s]
      - age: [%s]
`, recipients[0], recipients[1], recipients[2])
	cfg := filepath.Join(cli.dir, "sops-config.yaml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := cli.encrypt("groups.yaml", []byte(richYAML), []string{"--config", cfg})
	if !bytes.Contains(enc, []byte("shamir_threshold: 2")) || !bytes.Contains(enc, []byte("key_groups:")) {
		t.Fatalf("not a key-group file:\n%s", enc)
	}
	return enc
}

func TestShamirKeyGroups(t *testing.T) {
	demoFile, otherFile := testenv.DemoKeyFile(), testenv.OtherKeyFile()
	thirdFile, third, thirdID := newAgeKey(t)
	_ = thirdFile
	enc := shamirFile(t, [3]string{recipientOf(t, demoFile), recipientOf(t, otherFile), third})
	plain := richSecrets()

	t.Run("all three keys", func(t *testing.T) {
		testenv.Isolate(t)
		t.Setenv("SOPS_AGE_KEY", strings.Join([]string{identityOf(t, demoFile), identityOf(t, otherFile), thirdID}, "\n"))
		requireSame(t, "all keys", enc, sopsfile.YAML)
	})
	t.Run("two of three", func(t *testing.T) {
		testenv.Isolate(t)
		t.Setenv("SOPS_AGE_KEY", identityOf(t, otherFile)+"\n"+thirdID)
		doc := requireSame(t, "two keys", enc, sopsfile.YAML)
		if doc.Metadata.ShamirThreshold != 2 || len(doc.Metadata.KeyGroups) != 3 {
			t.Errorf("threshold %d, %d groups", doc.Metadata.ShamirThreshold, len(doc.Metadata.KeyGroups))
		}
	})
	t.Run("one of three", func(t *testing.T) {
		testenv.UseDemoKey(t)
		_, _, fullErr, leanErr, _ := decryptBoth(t, enc, sopsfile.YAML)
		if fullErr == nil {
			t.Fatal("sops decrypts with one part of three")
		}
		requireKind(t, "one key", leanErr, sopsfile.ErrNoKey, plain...)
	})
	t.Run("one of three plus a KMS group", func(t *testing.T) {
		// Group 2 now lists only a KMS key: with the demo key alone, age
		// gives one part and KMS might give the second.
		kmsEnc := replaceGroupKeys(t, enc, 1, kmsBlock("          "))
		testenv.UseDemoKey(t)
		_, err := sopsfile.NewDecryptor().Decrypt(kmsEnc, sopsfile.YAML)
		requireKind(t, "age+kms groups", err, sopsfile.ErrNeedsFullSOPS, plain...)
		// With the third key, age alone reaches the threshold: no KMS.
		t.Setenv("SOPS_AGE_KEY", thirdID)
		doc, err := sopsfile.NewDecryptor().Decrypt(kmsEnc, sopsfile.YAML)
		if err != nil {
			t.Fatalf("two age groups of three should do: %v", err)
		}
		if got := lookup(t, doc, "data", "password"); got != "hunter2-unique-secret-1" {
			t.Fatalf("password = %v", got)
		}
	})
}

// richSecrets are plaintext values of richYAML that only decryption
// reveals, for the no-leak checks.
func richSecrets() []string {
	return []string{"hunter2-unique-secret-1", "deepest-secret-value", "nested-list-secret", "one-list-secret", "comment-marked-secret", "suffix-secret-value"}
}

func kmsBlock(indent string) string {
	return strings.ReplaceAll(`kms:
  - arn: arn:aws:kms:us-east-1:111122223333:key/0aa11bb2-3cc4-5dd6-7ee8-9ff000000000
    role: arn:aws:iam::111122223333:role/sops
    created_at: "2024-01-01T00:00:00Z"
    enc: AQICAHhFAKEFAKEFAKE
    aws_profile: ""
`, "\n  ", "\n"+indent+"  ")
}

// replaceGroupKeys replaces the age entry of key group i (0-based) of a
// YAML key-group file with block.
func replaceGroupKeys(t *testing.T, enc []byte, group int, block string) []byte {
	t.Helper()
	re := regexp.MustCompile(`(?m)^        - age:\n(?:^            .*\n|^              .*\n|^                .*\n)+`)
	locs := re.FindAllIndex(enc, -1)
	if len(locs) <= group {
		t.Fatalf("%d key groups found", len(locs))
	}
	loc := locs[group]
	var out []byte
	out = append(out, enc[:loc[0]]...)
	out = append(out, "        - "+block...)
	return append(out, enc[loc[1]:]...)
}

// TestOtherKeySources rewrites an age-encrypted file's metadata to list
// other key sources (sops would call AWS, GCP, Azure, Vault or HuaweiCloud;
// the full library is never asked here).
func TestOtherKeySources(t *testing.T) {
	tokenFile := readFixture(t, "testdata", "secrets", "token.enc")
	var doc map[string]any
	if err := json.Unmarshal(tokenFile, &doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["sops"].(map[string]any)
	ageEntries := meta["age"]
	kms := []any{map[string]any{"arn": "arn:aws:kms:us-east-1:111122223333:key/x", "created_at": "2024-01-01T00:00:00Z", "enc": "AQICAHh", "aws_profile": ""}}
	gcp := []any{map[string]any{"resource_id": "projects/p/locations/global/keyRings/r/cryptoKeys/k", "created_at": "2024-01-01T00:00:00Z", "enc": "CiQA"}}
	azure := []any{map[string]any{"vault_url": "https://v.vault.azure.net", "name": "k", "version": "1", "created_at": "2024-01-01T00:00:00Z", "enc": "abc"}}
	vault := []any{map[string]any{"vault_address": "https://vault:8200", "engine_path": "transit", "key_name": "k", "created_at": "2024-01-01T00:00:00Z", "enc": "vault:v1:abc"}}
	hckms := []any{map[string]any{"key_id": "cn-north-4:0000-1111", "created_at": "2024-01-01T00:00:00Z", "enc": "abc"}}
	with := func(t *testing.T, change func(m map[string]any)) []byte {
		t.Helper()
		m := map[string]any{}
		for k, v := range meta {
			m[k] = v
		}
		change(m)
		out, err := json.Marshal(map[string]any{"data": doc["data"], "sops": m})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	testenv.UseDemoKey(t)
	plainBytes, err := decrypt.Data(tokenFile, "binary")
	if err != nil {
		t.Fatal(err)
	}
	plain := strings.TrimSpace(string(plainBytes))
	cases := []struct {
		name   string
		change func(m map[string]any)
		useKey bool
		kind   error
		keyID  string
	}{
		{"kms only", func(m map[string]any) { delete(m, "age"); m["kms"] = kms }, true, sopsfile.ErrNeedsFullSOPS, "kms arn:aws:kms:us-east-1:111122223333:key/x"},
		{"gcp_kms only", func(m map[string]any) { delete(m, "age"); m["gcp_kms"] = gcp }, true, sopsfile.ErrNeedsFullSOPS, "gcp_kms projects/p/locations/global/keyRings/r/cryptoKeys/k"},
		{"azure_kv only", func(m map[string]any) { delete(m, "age"); m["azure_kv"] = azure }, true, sopsfile.ErrNeedsFullSOPS, "azure_kv https://v.vault.azure.net/keys/k/1"},
		{"hc_vault only", func(m map[string]any) { delete(m, "age"); m["hc_vault"] = vault }, true, sopsfile.ErrNeedsFullSOPS, "hc_vault https://vault:8200/v1/transit/keys/k"},
		{"hckms only", func(m map[string]any) { delete(m, "age"); m["hckms"] = hckms }, true, sopsfile.ErrNeedsFullSOPS, "hckms cn-north-4:0000-1111"},
		{"age and kms, no age key", func(m map[string]any) { m["kms"] = kms }, false, sopsfile.ErrNeedsFullSOPS, "kms arn:aws:kms:us-east-1:111122223333:key/x"},
		{"age and kms, age key", func(m map[string]any) { m["kms"] = kms }, true, nil, ""},
		{"kms in key_groups", func(m map[string]any) {
			delete(m, "age")
			m["key_groups"] = []any{map[string]any{"kms": kms}}
		}, true, sopsfile.ErrNeedsFullSOPS, "kms arn:aws:kms:us-east-1:111122223333:key/x"},
		{"age only, no key", func(map[string]any) {}, false, sopsfile.ErrNoKey, ""},
		{"bad kms created_at", func(m map[string]any) {
			m["kms"] = []any{map[string]any{"arn": "a", "created_at": "yesterday", "enc": "x"}}
		}, true, sopsfile.ErrMalformed, ""},
		{"bad hckms key id", func(m map[string]any) {
			m["hckms"] = []any{map[string]any{"key_id": "no-region", "created_at": "2024-01-01T00:00:00Z", "enc": "x"}}
		}, true, sopsfile.ErrMalformed, ""},
		{"no keys", func(m map[string]any) { delete(m, "age") }, true, sopsfile.ErrMalformed, ""},
		{"two rules", func(m map[string]any) { m["encrypted_regex"] = "^data$"; m["encrypted_suffix"] = "_x" }, true, sopsfile.ErrMalformed, ""},
		{"bad lastmodified", func(m map[string]any) { m["lastmodified"] = "2024-01-01" }, true, sopsfile.ErrMalformed, ""},
		{"weakly typed threshold and flags", func(m map[string]any) { m["shamir_threshold"] = "1"; m["mac_only_encrypted"] = "false" }, true, nil, ""},
		{"age as a single mapping", func(m map[string]any) { m["age"] = ageEntries.([]any)[0] }, true, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.useKey {
				testenv.UseDemoKey(t)
			} else {
				testenv.Isolate(t)
			}
			data := with(t, c.change)
			got, err := sopsfile.NewDecryptor().Decrypt(data, sopsfile.Binary)
			if c.kind == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				out, err := got.Plaintext()
				if err != nil || strings.TrimSpace(string(out)) != plain {
					t.Fatalf("plaintext wrong (%v)", err)
				}
				if !strings.Contains(string(data), `"kms"`) {
					// No remote key source: the sops library can be asked too.
					requireSame(t, c.name, data, sopsfile.Binary)
				}
				return
			}
			requireKind(t, c.name, err, c.kind, plain)
			if c.keyID != "" {
				var e *sopsfile.Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: error %v is not a *sopsfile.Error", c.name, err)
				}
				if !strings.Contains(strings.Join(e.Keys, ","), c.keyID) {
					t.Errorf("Keys = %v, want %q among them", e.Keys, c.keyID)
				}
			}
		})
	}
}

// TestRemoteKeysCarryWhatTheClientsUse: a Vault key's address, engine path
// and name, and a Key Vault key's URL, name and version, are read from the
// metadata as sops reads them (the allowlist's scoped entries match them).
func TestRemoteKeysCarryWhatTheClientsUse(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(readFixture(t, "testdata", "secrets", "token.enc"), &doc); err != nil {
		t.Fatal(err)
	}
	meta := doc["sops"].(map[string]any)
	meta["azure_kv"] = []any{map[string]any{"vault_url": "https://v.vault.azure.net", "name": "team-a", "version": "0123", "created_at": "2024-01-01T00:00:00Z", "enc": "abc"}}
	meta["hc_vault"] = []any{map[string]any{"vault_address": "https://vault:8200", "engine_path": "ns/transit", "key_name": "team-b", "created_at": "2024-01-01T00:00:00Z", "enc": "vault:v1:abc"}}
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	md, err := sopsfile.ReadMetadata(data, sopsfile.Binary)
	if err != nil {
		t.Fatal(err)
	}
	var got []sopsfile.RemoteKey
	for _, g := range md.KeyGroups {
		got = append(got, g.Remote...)
	}
	want := []sopsfile.RemoteKey{
		{Kind: "azure_kv", Endpoint: "https://v.vault.azure.net", ID: "team-a", Version: "0123"},
		{Kind: "hc_vault", Endpoint: "https://vault:8200", ID: "team-b", EnginePath: "ns/transit"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Remote = %+v, want %+v", got, want)
	}
}

// TestKMSOnlyYAML is the YAML form: an age-encrypted kubeconfig whose
// metadata now lists a KMS key only.
func TestKMSOnlyYAML(t *testing.T) {
	testenv.UseDemoKey(t)
	enc := readFixture(t, "testdata", "secrets", "kubeconfig.yaml")
	re := regexp.MustCompile(`(?m)^    age:\n(?:^        .*\n)+`)
	if !re.Match(enc) {
		t.Fatal("no age block")
	}
	kmsOnly := re.ReplaceAll(enc, []byte("    "+kmsBlock("    ")))
	_, err := sopsfile.NewDecryptor().Decrypt(kmsOnly, sopsfile.YAML)
	requireKind(t, "kms-only kubeconfig", err, sopsfile.ErrNeedsFullSOPS)
	md, err := sopsfile.ReadMetadata(kmsOnly, sopsfile.YAML)
	if err != nil {
		t.Fatal(err)
	}
	if got := md.Keys(); len(got) != 1 || !strings.HasPrefix(got[0], "kms arn:aws:kms:us-east-1:111122223333:key/") || !strings.HasSuffix(got[0], "+arn:aws:iam::111122223333:role/sops") {
		t.Fatalf("Keys() = %v", got)
	}
}

// TestPGP encrypts with a throwaway PGP key in a private GNUPGHOME (the
// gpg binary does the work, as for sops).
func TestPGP(t *testing.T) {
	home, fpr := secretstest.GPGHome(t)

	cli := newSOPSCLI(t, "GNUPGHOME="+home)
	enc := cli.encrypt("pgp.yaml", []byte(richYAML), nil, "--pgp", fpr)
	testenv.Isolate(t)
	t.Setenv("GNUPGHOME", home)
	doc := requireSame(t, "pgp.yaml", enc, sopsfile.YAML)
	if len(doc.Metadata.KeyGroups) != 1 || len(doc.Metadata.KeyGroups[0].PGP) != 1 || doc.Metadata.KeyGroups[0].PGP[0] != fpr {
		t.Fatalf("key groups %+v", doc.Metadata.KeyGroups)
	}
	// Without the keyring, no key.
	t.Setenv("GNUPGHOME", t.TempDir())
	_, err := sopsfile.NewDecryptor().Decrypt(enc, sopsfile.YAML)
	requireKind(t, "pgp without keyring", err, sopsfile.ErrNoKey, richSecrets()...)
}
