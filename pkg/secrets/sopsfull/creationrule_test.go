package sopsfull

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCreationRuleAzureKeysNeedAVersion (found by review): sops looks a
// versionless Azure Key Vault key's latest version up in Key Vault while it
// loads the creation rule, before new or rekey could check the allowlist;
// such a rule is refused before sops loads it, whichever rule it is.
func TestCreationRuleAzureKeysNeedAVersion(t *testing.T) {
	const age = "age: age1snz59ekfa09wkfehw60xme7ztqtx758arxz202lcu67uhr55yq2s9u4l5c\n"
	cases := []struct {
		name, conf, want string
	}{
		{"url without version", "creation_rules:\n  - path_regex: x\n    azure_keyvault: https://v.vault.azure.net/keys/k\n", `the azure_keyvault key "k" has no version`},
		{"url list with one without version", "creation_rules:\n  - azure_keyvault:\n      - https://v.vault.azure.net/keys/a/1\n      - https://v.vault.azure.net/keys/b/\n", `the azure_keyvault key "b/" has no version`},
		{"comma list", "creation_rules:\n  - azure_keyvault: https://v.vault.azure.net/keys/a/1,https://v.vault.azure.net/keys/c\n", `"c" has no version`},
		{"key group entry", "creation_rules:\n  - " + age + "  - key_groups:\n      - azure_keyvault:\n          - {vaultUrl: https://v.vault.azure.net, key: g}\n", `creation_rules[1]: the azure_keyvault key "g" has no version`},
		{"versioned", "creation_rules:\n  - " + age + "    azure_keyvault: https://v.vault.azure.net/keys/a/1\n", ""},
		{"no azure key", "creation_rules:\n  - " + age, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conf := filepath.Join(t.TempDir(), ".sops.yaml")
			if err := os.WriteFile(conf, []byte(c.conf), 0o600); err != nil {
				t.Fatal(err)
			}
			err := refuseVersionlessAzureKeys(conf)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}
