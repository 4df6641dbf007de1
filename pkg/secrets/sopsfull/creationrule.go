package sopsfull

import (
	"fmt"
	"os"
	"strings"

	"github.com/getsops/sops/v3/config"
	"go.yaml.in/yaml/v3"
)

// LoadCreationRule returns the creation rule of the sops configuration at
// confPath for file (nil when none matches), as sops loads it, after
// refusing what would make loading contact a key service: an Azure Key
// Vault key without a version, whose latest version sops looks up in Key
// Vault while it loads the rule, before any allowlist could be checked
// (found by review). Every rule is checked, whichever matches the file:
// the lookup happens for the matching one, and which one matches is
// sops's to decide. Errors name the configuration and the rule.
func LoadCreationRule(confPath, file string) (*config.Config, error) {
	if err := refuseVersionlessAzureKeys(confPath); err != nil {
		return nil, err
	}
	rule, err := config.LoadCreationRuleForFile(confPath, file, nil)
	if err != nil {
		return nil, fmt.Errorf("sops configuration %s: %s", confPath, strings.TrimPrefix(err.Error(), "error loading config: "))
	}
	return rule, nil
}

// refuseVersionlessAzureKeys reads the configuration's azure_keyvault
// entries (a rule's URL list, and its key groups' vaultUrl/key/version
// entries) and refuses one without a version.
func refuseVersionlessAzureKeys(confPath string) error {
	data, err := os.ReadFile(confPath) //nolint:gosec // G304: the sops configuration the caller located for the file
	if err != nil {
		return fmt.Errorf("sops configuration %s: %w", confPath, err)
	}
	var conf struct {
		CreationRules []struct {
			AzureKeyVault any `yaml:"azure_keyvault"`
			KeyGroups     []struct {
				AzureKV []struct {
					Key     string `yaml:"key"`
					Version string `yaml:"version"`
				} `yaml:"azure_keyvault"`
			} `yaml:"key_groups"`
		} `yaml:"creation_rules"`
	}
	if err := yaml.Unmarshal(data, &conf); err != nil {
		return nil // sops reports what it cannot parse
	}
	refuse := func(rule int, key string) error {
		return fmt.Errorf("sops configuration %s: creation_rules[%d]: the azure_keyvault key %q has no version; sops would ask Key Vault for its latest version while loading the rule, before the allowlist of key sources is checked: give the version (https://VAULT.vault.azure.net/keys/NAME/VERSION)", confPath, rule, key)
	}
	for i, r := range conf.CreationRules {
		var urls []string
		switch v := r.AzureKeyVault.(type) {
		case string:
			urls = strings.Split(v, ",")
		case []any:
			for _, u := range v {
				if s, ok := u.(string); ok {
					urls = append(urls, s)
				}
			}
		}
		for _, u := range urls {
			u = strings.TrimSpace(u)
			_, rest, ok := strings.Cut(u, "/keys/")
			if u == "" {
				continue
			}
			if !ok || !strings.Contains(strings.Trim(rest, "/"), "/") {
				return refuse(i, rest)
			}
		}
		for _, g := range r.KeyGroups {
			for _, k := range g.AzureKV {
				if strings.TrimSpace(k.Version) == "" {
					return refuse(i, k.Key)
				}
			}
		}
	}
	return nil
}
