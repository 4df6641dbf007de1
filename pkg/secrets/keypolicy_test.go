package secrets

import (
	"strings"
	"testing"
)

const (
	testARN  = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testRole = "arn:aws:iam::111122223333:role/sops"
	testGCP  = "projects/p/locations/global/keyRings/r/cryptoKeys/k"
)

func TestParseKeyPolicyRejects(t *testing.T) {
	cases := []struct{ name, spec, want string }{
		{"no kind", "https://vault:8200", "is not KIND=VALUE"},
		{"empty value", "hc_vault=", "is not KIND=VALUE"},
		{"unknown kind", "vault=https://vault:8200?token=SECRET", `unknown kind "vault"`},
		{"no kind, a query", "https://vault:8200?token=SECRET", "is not KIND=VALUE"},
		{"not a URL", "hc_vault=vault:8200", "is not a URL"},
		{"a path", "hc_vault=https://vault:8200/v1/transit", "is not /v1/ENGINE/keys/NAME"},
		{"a query", "azure_kv=https://v.vault.azure.net?token=SECRET", "without user, path, query or fragment"},
		{"a user", "hc_vault=https://user:SECRET@vault:8200", "without user, path, query or fragment"},
		{"another scheme", "hc_vault=unix://vault:8200", "must use http or https"},
		// Scoped entries: the path is /v1/ENGINE/keys/NAME (hc_vault) or
		// /keys/NAME (azure_kv), read as the clients read it.
		{"vault, a path that is not a key's", "hc_vault=https://vault:8200/transit/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, another API version", "hc_vault=https://vault:8200/v2/transit/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, no engine", "hc_vault=https://vault:8200/v1/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, an empty engine", "hc_vault=https://vault:8200/v1//keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, an empty engine segment", "hc_vault=https://vault:8200/v1/teams//transit/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, no key name", "hc_vault=https://vault:8200/v1/transit/keys/", "is not /v1/ENGINE/keys/NAME"},
		{"vault, a trailing slash", "hc_vault=https://vault:8200/v1/transit/keys/k/", "is not /v1/ENGINE/keys/NAME"},
		{"vault, a version after the key", "hc_vault=https://vault:8200/v1/transit/keys/k/1", "is not /v1/ENGINE/keys/NAME"},
		{"vault, a dot-dot engine segment", "hc_vault=https://vault:8200/v1/transit/../team-b/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, a dot-dot key", "hc_vault=https://vault:8200/v1/transit/keys/..", "is not /v1/ENGINE/keys/NAME"},
		{"vault, an escaped slash", "hc_vault=https://vault:8200/v1/trans%2Fit/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, an escaped letter", "hc_vault=https://vault:8200/v1/tr%61nsit/keys/k", "is not /v1/ENGINE/keys/NAME"},
		{"vault, a tilde", "hc_vault=https://vault:8200/v1/transit/keys/a~b", "is not /v1/ENGINE/keys/NAME"},
		{"vault, another character", "hc_vault=https://vault:8200/v1/transit/keys/a+b", "is not /v1/ENGINE/keys/NAME"},
		{"vault key, a query", "hc_vault=https://vault:8200/v1/transit/keys/k?token=SECRET", "without user, path, query or fragment"},
		{"vault key, an empty query", "hc_vault=https://vault:8200/v1/transit/keys/k?", "without user, path, query or fragment"},
		{"vault key, a fragment", "hc_vault=https://vault:8200/v1/transit/keys/k#SECRET", "without user, path, query or fragment"},
		{"vault key, a user", "hc_vault=https://SECRET@vault:8200/v1/transit/keys/k", "without user, path, query or fragment"},
		{"vault key, another scheme", "hc_vault=unix://vault:8200/v1/transit/keys/k", "must use http or https"},
		{"key vault, a Vault path", "azure_kv=https://v.vault.azure.net/v1/transit/keys/k", "is not /keys/NAME"},
		{"key vault, a version", "azure_kv=https://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef", "is not /keys/NAME"},
		{"key vault, a secret", "azure_kv=https://v.vault.azure.net/secrets/k", "is not /keys/NAME"},
		{"key vault, an underscore", "azure_kv=https://v.vault.azure.net/keys/team_a", "is not /keys/NAME"},
		{"key vault, an escaped slash", "azure_kv=https://v.vault.azure.net/keys/a%2Fb", "is not /keys/NAME"},
		{"key vault, a name too long", "azure_kv=https://v.vault.azure.net/keys/" + strings.Repeat("k", 128), "is not /keys/NAME"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseKeyPolicy(c.spec)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseKeyPolicy(%q) = %v, want an error containing %q", c.spec, err, c.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the error repeats a credential: %v", err)
			}
		})
	}
}

func TestKeyPolicyAllows(t *testing.T) {
	policy := strings.Join([]string{
		"hc_vault=https://Vault.example.com:8200",
		"hc_vault=http://127.0.0.1:8200",
		"azure_kv=https://team.vault.azure.net",
		"hc_vault=https://scoped.example.com:8200/v1/transit/keys/team-a-*",
		"hc_vault=https://scoped.example.com:8200/v1/teams/*/transit/keys/shared",
		"hc_vault=https://scoped.example.com:8200/v1/ns-a/transit/keys/only",
		"azure_kv=https://Scoped.vault.azure.net/keys/team-a",
		"azure_kv=https://scoped.vault.azure.net/keys/team-c-*",
		"kms=arn:aws:kms:eu-west-1:111122223333:key/*",
		"kms=arn:aws:kms:us-east-1:111122223333:key/*+" + testRole,
		"aws_profile=dr",
		"gcp_kms=projects/p/locations/global/keyRings/r/cryptoKeys/*",
		"hckms=tr-west-1:*",
		"age_plugin=yubikey",
	}, ", ")
	p, err := ParseKeyPolicy(policy)
	if err != nil {
		t.Fatal(err)
	}
	usARN := strings.Replace(testARN, "eu-west-1", "us-east-1", 1)
	cases := []struct {
		name string
		key  RemoteKey
		want bool
	}{
		{"vault, same address", RemoteKey{Kind: KindVault, Endpoint: "https://vault.example.com:8200"}, true},
		{"vault, host case and trailing slash", RemoteKey{Kind: KindVault, Endpoint: "https://VAULT.example.com:8200/"}, true},
		{"vault, default port differs", RemoteKey{Kind: KindVault, Endpoint: "https://vault.example.com"}, false},
		{"vault, other port", RemoteKey{Kind: KindVault, Endpoint: "https://vault.example.com:8201"}, false},
		{"vault, http instead of https", RemoteKey{Kind: KindVault, Endpoint: "http://vault.example.com:8200"}, false},
		{"vault, allowed host as user info", RemoteKey{Kind: KindVault, Endpoint: "https://vault.example.com:8200@evil.example:8200"}, false},
		{"vault, other host", RemoteKey{Kind: KindVault, Endpoint: "https://evil.example:8200"}, false},
		{"vault, unix socket", RemoteKey{Kind: KindVault, Endpoint: "unix:///run/vault.sock"}, false},
		{"vault, not a URL", RemoteKey{Kind: KindVault, Endpoint: "127.0.0.1:8200"}, false},
		{"vault, loopback allowed", RemoteKey{Kind: KindVault, Endpoint: "http://127.0.0.1:8200"}, true},
		{"vault URL is not a key vault", RemoteKey{Kind: KindAzureKV, Endpoint: "https://vault.example.com:8200"}, false},
		{"key vault, default port", RemoteKey{Kind: KindAzureKV, Endpoint: "https://team.vault.azure.net:443"}, true},
		{"key vault, other vault", RemoteKey{Kind: KindAzureKV, Endpoint: "https://other.vault.azure.net"}, false},
		// An entry without a path allows every key at the address: tenants
		// given the same one read each other's files.
		{"vault without a path, any engine and key", RemoteKey{Kind: KindVault, Endpoint: "https://vault.example.com:8200", EnginePath: "team-b", ID: "team-b"}, true},
		{"key vault without a path, any key", RemoteKey{Kind: KindAzureKV, Endpoint: "https://team.vault.azure.net", ID: "team-b", Version: "1"}, true},
		// Scoped entries.
		{"scoped vault, a matching key", vaultKey("https://scoped.example.com:8200", "transit", "team-a-pairs"), true},
		{"scoped vault, trailing slash and host case", vaultKey("https://SCOPED.example.com:8200/", "transit", "team-a-pairs"), true},
		{"scoped vault, the glob's empty run", vaultKey("https://scoped.example.com:8200", "transit", "team-a-"), true},
		{"scoped vault, another key", vaultKey("https://scoped.example.com:8200", "transit", "team-b"), false},
		{"scoped vault, the key's prefix", vaultKey("https://scoped.example.com:8200", "transit", "team-a"), false},
		{"scoped vault, another engine", vaultKey("https://scoped.example.com:8200", "transit-b", "team-a-pairs"), false},
		{"scoped vault, another namespace", vaultKey("https://scoped.example.com:8200", "ns-b/transit", "only"), false},
		{"scoped vault, the namespace's engine", vaultKey("https://scoped.example.com:8200", "ns-a/transit", "only"), true},
		{"scoped vault, an engine glob", vaultKey("https://scoped.example.com:8200", "teams/a/transit", "shared"), true},
		{"scoped vault, an engine glob over two segments", vaultKey("https://scoped.example.com:8200", "teams/a/b/transit", "shared"), true},
		{"scoped vault, an engine glob's missing segment", vaultKey("https://scoped.example.com:8200", "teams/transit", "shared"), false},
		{"scoped vault, another port", vaultKey("https://scoped.example.com:8201", "transit", "team-a-pairs"), false},
		{"scoped vault, another host", vaultKey("https://vault.example.com:8200", "transit", "team-a-pairs"), true}, // that host's own entry has no path
		{"scoped vault, no engine", vaultKey("https://scoped.example.com:8200", "", "team-a-pairs"), false},
		{"scoped vault, no key name", vaultKey("https://scoped.example.com:8200", "transit", ""), false},
		// The Vault client sends path.Join(address path, "/v1/", engine, "decrypt", name).
		{"scoped vault, a key name that climbs into another key", vaultKey("https://scoped.example.com:8200", "transit", "team-a-x/../team-b"), false},
		{"scoped vault, a key name with a slash", vaultKey("https://scoped.example.com:8200", "transit", "team-a-x/y"), false},
		{"scoped vault, a dot-dot key name", vaultKey("https://scoped.example.com:8200", "transit", ".."), false},
		{"scoped vault, an engine that climbs", vaultKey("https://scoped.example.com:8200", "transit/../transit-b", "team-a-x"), false},
		{"scoped vault, a dot engine segment", vaultKey("https://scoped.example.com:8200", "./transit", "team-a-x"), false},
		{"scoped vault, a leading slash", vaultKey("https://scoped.example.com:8200", "/transit", "team-a-x"), false},
		{"scoped vault, a trailing slash", vaultKey("https://scoped.example.com:8200", "transit/", "team-a-x"), false},
		{"scoped vault, an empty engine segment", vaultKey("https://scoped.example.com:8200", "teams//transit", "shared"), false},
		{"scoped vault, a query in the key name", vaultKey("https://scoped.example.com:8200", "transit", "team-a-x?y"), false},
		{"scoped vault, an escape in the key name", vaultKey("https://scoped.example.com:8200", "transit", "team-a-%2F"), false},
		{"scoped vault, an address with a path", vaultKey("https://scoped.example.com:8200/v1/transit/decrypt/team-b", "transit", "team-a-x"), false},
		{"scoped vault, an address with a query", vaultKey("https://scoped.example.com:8200?x=1", "transit", "team-a-x"), false},
		{"scoped vault, an address with a user", vaultKey("https://u@scoped.example.com:8200", "transit", "team-a-x"), false},
		{"scoped vault, an address with spaces", vaultKey(" https://scoped.example.com:8200", "transit", "team-a-x"), false},
		{"scoped vault, the allowed host as user info", vaultKey("https://scoped.example.com:8200@evil.example:8200", "transit", "team-a-x"), false},
		{"scoped vault, a version", RemoteKey{Kind: KindVault, Endpoint: "https://scoped.example.com:8200", EnginePath: "transit", ID: "team-a-x", Version: "1"}, false},
		{"scoped vault entry, a key vault key", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.example.com:8200", ID: "team-a-x"}, false},
		{"scoped key vault, the key", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net", ID: "team-a", Version: "0123456789abcdef0123456789abcdef"}, true},
		{"scoped key vault, no version", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net:443/", ID: "team-a"}, true},
		{"scoped key vault, a glob", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net", ID: "team-c-1"}, true},
		{"scoped key vault, another key", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net", ID: "team-b"}, false},
		{"scoped key vault, another vault", RemoteKey{Kind: KindAzureKV, Endpoint: "https://other.vault.azure.net", ID: "team-a"}, false},
		{"scoped key vault, a name that climbs", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net", ID: "team-c-x/../team-b"}, false},
		{"scoped key vault, a version that climbs", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net", ID: "team-a", Version: "../../team-b/1"}, false},
		{"scoped key vault, an address with a path", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net/keys/team-b/1/decrypt", ID: "team-a"}, false},
		{"scoped key vault, an engine path", RemoteKey{Kind: KindAzureKV, Endpoint: "https://scoped.vault.azure.net", EnginePath: "transit", ID: "team-a"}, false},
		{"scoped key vault entry, a vault key", vaultKey("https://scoped.vault.azure.net", "keys", "team-a"), false},
		{"kms, matching ARN", RemoteKey{Kind: KindAWSKMS, ID: testARN}, true},
		{"kms, other region", RemoteKey{Kind: KindAWSKMS, ID: strings.Replace(testARN, "eu-west-1", "eu-west-2", 1)}, false},
		{"kms, other account", RemoteKey{Kind: KindAWSKMS, ID: strings.Replace(testARN, "111122223333", "444455556666", 1)}, false},
		{"kms, a role the entry does not name", RemoteKey{Kind: KindAWSKMS, ID: testARN, Role: testRole}, false},
		{"kms, the role the entry names", RemoteKey{Kind: KindAWSKMS, ID: usARN, Role: testRole}, true},
		{"kms, without the role the entry names", RemoteKey{Kind: KindAWSKMS, ID: usARN}, false},
		{"kms, a role hidden in the ARN", RemoteKey{Kind: KindAWSKMS, ID: testARN + "+arn:aws:iam::999999999999:role/x"}, false},
		{"kms, a region that is not one", RemoteKey{Kind: KindAWSKMS, ID: "arn:aws:kms:evil.example/x:111122223333:key/k"}, false},
		{"kms, an allowed profile", RemoteKey{Kind: KindAWSKMS, ID: testARN, Profile: "dr"}, true},
		{"kms, a profile not allowed", RemoteKey{Kind: KindAWSKMS, ID: testARN, Profile: "admin"}, false},
		{"gcp, matching key", RemoteKey{Kind: KindGCPKMS, ID: testGCP}, true},
		{"gcp, other ring", RemoteKey{Kind: KindGCPKMS, ID: "projects/p/locations/global/keyRings/x/cryptoKeys/k"}, false},
		{"gcp, a path in the key", RemoteKey{Kind: KindGCPKMS, ID: testGCP + "/cryptoKeyVersions/1"}, false},
		{"hckms, matching region", RemoteKey{Kind: KindHCKMS, ID: "tr-west-1:0a1b2c3d-0000-1111-2222-333344445555"}, true},
		{"hckms, other region", RemoteKey{Kind: KindHCKMS, ID: "ap-southeast-1:0a1b2c3d"}, false},
		{"an unknown key source", RemoteKey{Kind: "newkms", ID: "x"}, false},
		{"age plugin, allowed", RemoteKey{Kind: KindAgePlugin, ID: "yubikey"}, true},
		{"age plugin, another", RemoteKey{Kind: KindAgePlugin, ID: "tpm"}, false},
		{"age plugin, a look-alike name", RemoteKey{Kind: KindAgePlugin, ID: "yubikey/../x"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := p.Allows(c.key); got != c.want {
				t.Errorf("Allows(%+v) = %v, want %v", c.key, got, c.want)
			}
			if (KeyPolicy{}).Allows(c.key) {
				t.Errorf("the zero policy allows %+v", c.key)
			}
		})
	}
}

func vaultKey(address, engine, name string) RemoteKey {
	return RemoteKey{Kind: KindVault, Endpoint: address, EnginePath: engine, ID: name}
}

// TestRecipientsAreScoped: encryption recipients (Vault key URIs, Key
// Vault key URLs) are read as sops reads them, so that a scoped entry
// allows exactly the keys it names; one sops would read otherwise, or
// with a query, is only allowed by an entry without a path.
func TestRecipientsAreScoped(t *testing.T) {
	p, err := ParseKeyPolicy("hc_vault=https://vault:8200/v1/transit/keys/team-a, azure_kv=https://v.vault.azure.net/keys/team-a, hc_vault=https://open:8200")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		group KeyGroup
		want  bool
	}{
		{"vault, the key", KeyGroup{HCVaultTransit: []string{"https://vault:8200/v1/transit/keys/team-a"}}, true},
		{"vault, another key", KeyGroup{HCVaultTransit: []string{"https://vault:8200/v1/transit/keys/team-b"}}, false},
		{"vault, another engine", KeyGroup{HCVaultTransit: []string{"https://vault:8200/v1/other/keys/team-a"}}, false},
		{"vault, a query", KeyGroup{HCVaultTransit: []string{"https://vault:8200/v1/transit/keys/team-a?x=1"}}, false},
		{"vault, a prefixed URL sops refuses", KeyGroup{HCVaultTransit: []string{"https://vault:8200/p/v1/transit/keys/team-a"}}, false},
		{"vault, a climbing key", KeyGroup{HCVaultTransit: []string{"https://vault:8200/v1/transit/keys/team-a/../team-b"}}, false},
		{"vault without a path, any key", KeyGroup{HCVaultTransit: []string{"https://open:8200/v1/any/keys/thing"}}, true},
		{"key vault, the key and a version", KeyGroup{AzureKeyVault: []string{"https://v.vault.azure.net/keys/team-a/0123456789abcdef0123456789abcdef"}}, true},
		{"key vault, the key", KeyGroup{AzureKeyVault: []string{"https://v.vault.azure.net/keys/team-a"}}, true},
		{"key vault, another key", KeyGroup{AzureKeyVault: []string{"https://v.vault.azure.net/keys/team-b/1"}}, false},
		{"key vault, a query", KeyGroup{AzureKeyVault: []string{"https://v.vault.azure.net/keys/team-a?x=1"}}, false},
		{"key vault, not a key URL", KeyGroup{AzureKeyVault: []string{"https://v.vault.azure.net"}}, false},
		{"one key not allowed refuses all", KeyGroup{HCVaultTransit: []string{"https://vault:8200/v1/transit/keys/team-a", "https://vault:8200/v1/transit/keys/team-b"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := EncryptOptions{Groups: []KeyGroup{c.group}, Policy: p}.CheckRecipients()
			if (err == nil) != c.want {
				t.Errorf("CheckRecipients(%v) = %v, want allowed %v", c.group, err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "x=1") {
				t.Errorf("the error shows a query: %v", err)
			}
		})
	}
}

// TestAllowHintNamesTheKey: the entry a refusal suggests allows that key
// alone when it has the usual shape, and the whole address otherwise.
func TestAllowHintNamesTheKey(t *testing.T) {
	cases := []struct {
		key  RemoteKey
		hint string
	}{
		{vaultKey("https://vault:8200", "transit", "team-a"), "hc_vault=https://vault:8200/v1/transit/keys/team-a"},
		{vaultKey("http://127.0.0.1:8200/", "ns/transit", "k"), "hc_vault=http://127.0.0.1:8200/v1/ns/transit/keys/k"},
		{vaultKey("https://vault:8200", "transit", "a/../b"), "hc_vault=https://vault:8200"},
		{vaultKey("https://vault:8200/prefix", "transit", "k"), "hc_vault=https://vault:8200"},
		{vaultKey("https://vault:8200", "", ""), "hc_vault=https://vault:8200"},
		{RemoteKey{Kind: KindAzureKV, Endpoint: "https://v.vault.azure.net", ID: "team-a", Version: "1"}, "azure_kv=https://v.vault.azure.net:443/keys/team-a"},
		{RemoteKey{Kind: KindAzureKV, Endpoint: "https://v.vault.azure.net", ID: "team_a"}, "azure_kv=https://v.vault.azure.net:443"},
	}
	for _, c := range cases {
		hint := c.key.allowHint()
		if hint != c.hint {
			t.Errorf("allowHint(%+v) = %q, want %q", c.key, hint, c.hint)
			continue
		}
		p, err := ParseKeyPolicy(hint)
		if err != nil || !p.Allows(c.key) {
			t.Errorf("the hint %q does not allow %+v (%v)", hint, c.key, err)
		}
	}
}

func TestKeyPolicyFromEnvAddsFlags(t *testing.T) {
	env := map[string]string{AllowKeyEndpointsEnv: "hc_vault=http://127.0.0.1:1"}
	p, err := KeyPolicyFromEnv(func(k string) string { return env[k] }, []string{"hc_vault=http://127.0.0.1:2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{"http://127.0.0.1:1", "http://127.0.0.1:2"} {
		if !p.Allows(RemoteKey{Kind: KindVault, Endpoint: addr}) {
			t.Errorf("%s is not allowed", addr)
		}
	}
	env[AllowKeyEndpointsEnv] = "vault=x"
	if _, err := KeyPolicyFromEnv(func(k string) string { return env[k] }, nil); err == nil || !strings.Contains(err.Error(), AllowKeyEndpointsEnv) {
		t.Errorf("a bad entry: %v, want an error naming %s", err, AllowKeyEndpointsEnv)
	}
}

// TestNotAllowedErrorIsRedacted: the error names the file and each key
// source, a URL as scheme://host:port only, and says how to allow it.
func TestNotAllowedErrorIsRedacted(t *testing.T) {
	err := (KeyPolicy{}).Check("team/kubeconfig.yaml", []RemoteKey{
		{Kind: KindVault, Endpoint: "https://user:PASSWORD@vault.example:8200/PATHSECRET?token=QUERYSECRET#FRAG", ID: "k"},
		{Kind: KindAWSKMS, ID: testARN, Profile: "dr"},
	})
	if err == nil || err.Reason != ReasonKeyNotAllowed || err.File != "team/kubeconfig.yaml" {
		t.Fatalf("Check = %#v", err)
	}
	msg := err.Error()
	for _, leak := range []string{"PASSWORD", "PATHSECRET", "QUERYSECRET", "FRAG", "user"} {
		if strings.Contains(msg, leak) {
			t.Errorf("the error contains %q: %s", leak, msg)
		}
	}
	for _, want := range []string{"hc_vault https://vault.example:8200", "hc_vault=https://vault.example:8200", "kms " + testARN + " (aws_profile dr)", "aws_profile=dr", "nothing was contacted", AllowKeyEndpointsEnv} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q: %s", want, msg)
		}
	}
}

func TestAgePluginRecipient(t *testing.T) {
	cases := map[string]string{
		"age1yubikey1qwertyzq":                 "yubikey",
		"age1se1qg8vwwqhztnh3vpt2nf2xwn7famkt": "se",
		"age1pq1qqqqqq1qq":                     "",
		"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgp": "", // a plain X25519 key has one "1"
		"ssh-ed25519 AAAA":                     "",
	}
	for in, want := range cases {
		k, ok := AgePluginRecipient(in)
		if ok != (want != "") || k.ID != want {
			t.Errorf("AgePluginRecipient(%q) = %+v, %v; want plugin %q", in, k, ok, want)
		}
	}
}
