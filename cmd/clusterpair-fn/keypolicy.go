package main

import (
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// allowKeyEndpointFlag is the flag that adds entries to the allowlist of
// network key sources ($CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS).
const allowKeyEndpointFlag = "allow-key-endpoint"

// addKeyPolicyFlag registers --allow-key-endpoint, collecting its values.
func addKeyPolicyFlag(f *pflag.FlagSet, dst *[]string) {
	f.StringArrayVar(dst, allowKeyEndpointFlag, nil, `allow a network key source (repeatable; added to $`+secrets.AllowKeyEndpointsEnv+`): KIND=VALUE, e.g. hc_vault=https://vault:8200, azure_kv=https://NAME.vault.azure.net, kms=arn:aws:kms:REGION:ACCOUNT:key/*, aws_profile=NAME, gcp_kms=projects/P/locations/L/keyRings/R/cryptoKeys/*, hckms=REGION:*. Without one, only age and PGP keys are used`)
}

// keyPolicy is the operator's policy: the environment's allowlist and the
// flag's entries.
func keyPolicy(flags []string) (secrets.KeyPolicy, error) {
	return secrets.KeyPolicyFromEnv(os.Getenv, flags)
}

// keyPolicyEnv is the environment of a child process (kustomize, and so
// the function it runs) whose allowlist also holds the flag's entries; nil
// (inherit this process's environment) without any.
func keyPolicyEnv(flags []string) []string {
	if len(flags) == 0 {
		return nil
	}
	entries := strings.Join(flags, ",")
	if current := os.Getenv(secrets.AllowKeyEndpointsEnv); current != "" {
		entries = current + "," + entries
	}
	return append(os.Environ(), secrets.AllowKeyEndpointsEnv+"="+entries)
}
