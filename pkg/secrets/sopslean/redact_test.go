package sopslean

import (
	"strings"
	"testing"
)

func TestRedactKeyIDs(t *testing.T) {
	const arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	got := redactKeyIDs([]string{"hc_vault https://vault:8200/v1/transit/keys/k?t=SECRET", "azure_kv https://v.vault.azure.net/keys/k/1", "kms " + arn, "age age1xyz"})
	want := []string{"hc_vault https://vault:8200", "azure_kv https://v.vault.azure.net", "kms " + arn, "age age1xyz"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("redactKeyIDs = %q, want %q", got, want)
	}
}
