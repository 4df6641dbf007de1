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
		{"a path", "hc_vault=https://vault:8200/v1/transit", "without user, path, query or fragment"},
		{"a query", "azure_kv=https://v.vault.azure.net?token=SECRET", "without user, path, query or fragment"},
		{"a user", "hc_vault=https://user:SECRET@vault:8200", "without user, path, query or fragment"},
		{"another scheme", "hc_vault=unix://vault:8200", "must use http or https"},
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
