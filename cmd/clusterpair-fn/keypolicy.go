package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/tenant"
)

// allowKeyEndpointFlag is the flag that adds entries to the allowlist of
// network key sources ($CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS).
const allowKeyEndpointFlag = "allow-key-endpoint"

// The operator's tenant settings: the tenant map, and which tenant a run
// is for. In CI the operator's job sets the tenant; under Argo CD (3.0 and
// later) the repo-server sets ARGOCD_APP_PROJECT_NAME to the Application's
// project, which Argo CD's RBAC enforces. An Application's plugin env
// arrives as ARGOCD_ENV_* and can set none of these.
const (
	tenantsFlag    = "tenants"
	tenantFlag     = "tenant"
	tenantsEnv     = "CLUSTERPAIR_FN_TENANTS"
	tenantEnv      = "CLUSTERPAIR_FN_TENANT"
	argoProjectEnv = "ARGOCD_APP_PROJECT_NAME"
)

// addKeyPolicyFlag registers --allow-key-endpoint, collecting its values.
func addKeyPolicyFlag(f *pflag.FlagSet, dst *[]string) {
	f.StringArrayVar(dst, allowKeyEndpointFlag, nil, `allow a network key source (repeatable; added to $`+secrets.AllowKeyEndpointsEnv+`): KIND=VALUE, e.g. hc_vault=https://vault:8200/v1/ENGINE/keys/NAME, azure_kv=https://NAME.vault.azure.net/keys/NAME (without the path: every key there), kms=arn:aws:kms:REGION:ACCOUNT:key/*, aws_profile=NAME, gcp_kms=projects/P/locations/L/keyRings/R/cryptoKeys/*, hckms=REGION:*. Without one, only age and PGP keys are used`)
}

// keySettings are the operator's choice of keys for a render: the
// environment's key sources under the allowlist (one trust domain), or,
// with a tenant map, one tenant's keys, allowlist and limits.
type keySettings struct {
	allow   []string
	tenants string
	tenant  string
}

func (k *keySettings) addFlags(f *pflag.FlagSet) {
	addKeyPolicyFlag(f, &k.allow)
	f.StringVar(&k.tenants, tenantsFlag, "", "the operator's tenant map (a TenantMap file): each tenant decrypts with its own keys only (default $"+tenantsEnv+"; without one, every render may use every key of the environment)")
	f.StringVar(&k.tenant, tenantFlag, "", "the tenant this run is for, with a tenant map (default $"+tenantEnv+", else $"+argoProjectEnv+", which Argo CD 3.0+ sets to the Application's project; any of them that are set must agree)")
}

// renderKeys is what a run decrypts and encrypts with.
type renderKeys struct {
	decryptor secrets.Decryptor
	encryptor secrets.Encryptor
	limits    secrets.Limits
	// tenant is the run's tenant ("" without a tenant map).
	tenant string
}

// close releases what the keys hold (the lean build's co-process).
func (k renderKeys) close() {
	if c, ok := k.decryptor.(io.Closer); ok {
		_ = c.Close()
	}
}

// resolve builds the run's decryptor: from the tenant map when there is
// one (the allowlist flag and variable are refused then: each tenant has
// its own), else from the environment. base are the operator's limits,
// which a tenant's own override.
func (k keySettings) resolve(getenv func(string) string, base secrets.Limits) (renderKeys, error) {
	mapFile := k.tenants
	if mapFile == "" {
		mapFile = getenv(tenantsEnv)
	}
	if mapFile == "" {
		if k.tenant != "" {
			return renderKeys{}, fmt.Errorf("--%s needs a tenant map (--%s or $%s)", tenantFlag, tenantsFlag, tenantsEnv)
		}
		policy, err := secrets.KeyPolicyFromEnv(getenv, k.allow)
		if err != nil {
			return renderKeys{}, err
		}
		dec, enc, err := newKeys(policy, nil)
		return renderKeys{decryptor: dec, encryptor: enc, limits: base}, err
	}
	if len(k.allow) > 0 || getenv(secrets.AllowKeyEndpointsEnv) != "" {
		return renderKeys{}, fmt.Errorf("--%s and $%s cannot be combined with a tenant map: each tenant's allowKeyEndpoints say which key services its files may use", allowKeyEndpointFlag, secrets.AllowKeyEndpointsEnv)
	}
	name, err := k.tenantName(getenv)
	if err != nil {
		return renderKeys{}, err
	}
	m, err := tenant.Load(mapFile)
	if err != nil {
		return renderKeys{}, err
	}
	t, err := m.Tenant(name, base)
	if err != nil {
		return renderKeys{}, err
	}
	dec, enc, err := newKeys(t.Policy, t.Keys)
	if err != nil {
		return renderKeys{}, err
	}
	return renderKeys{decryptor: dec, encryptor: enc, limits: t.Limits, tenant: name}, nil
}

// tenantName is the run's tenant: the flag, $CLUSTERPAIR_FN_TENANT or
// Argo CD's project. Any two of them that are set and disagree are an
// error naming both sources (under kustomize the function's command line,
// --tenant included, is the repository's, so the flag must not override
// the operator's variable), and so is none: a tenant map never falls back
// to a shared key.
func (k keySettings) tenantName(getenv func(string) string) (string, error) {
	name, from := "", ""
	for _, s := range []struct{ source, value string }{
		{"--" + tenantFlag, k.tenant},
		{"$" + tenantEnv, getenv(tenantEnv)},
		{"$" + argoProjectEnv, getenv(argoProjectEnv)},
	} {
		switch {
		case s.value == "":
		case name == "":
			name, from = s.value, s.source
		case s.value == name:
		case s.source == "$"+argoProjectEnv:
			return "", fmt.Errorf("%s names tenant %q but Argo CD renders for project %q (%s); set one of them", from, name, s.value, s.source)
		default:
			return "", fmt.Errorf("%s names tenant %q but %s names tenant %q; set one of them", from, name, s.source, s.value)
		}
	}
	if name != "" {
		return name, nil
	}
	return "", errors.New("a tenant map is set but not the tenant this run is for: set --" + tenantFlag + " or $" + tenantEnv + " (CI), or run under Argo CD 3.0 or later, which sets $" + argoProjectEnv + " to the Application's project")
}
