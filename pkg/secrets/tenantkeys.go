package secrets

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// TenantKeys are one tenant's private keys. A decryptor given them (the
// WithTenantKeys method of both SOPS implementations) decrypts with them
// and nothing else: no key source of the environment (SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SSH keys, the user's keys.txt, the
// default GnuPG home) and no other tenant's key is ever tried. A file none
// of them opens fails with ReasonNoKey, naming the tenant.
//
// They come from the operator (a tenant map the renderer mounts), never
// from the repository. A nil *TenantKeys is the single trust domain: the
// environment's key sources, as the sops CLI uses them.
type TenantKeys struct {
	// Tenant is the tenant's name, for messages.
	Tenant string
	// AgeIdentities is the text of the tenant's age identity files: one
	// identity per line, "#" comments and blank lines ignored, as sops
	// reads SOPS_AGE_KEY. Empty: the tenant has no age key, and a file's
	// age keys are not tried.
	AgeIdentities string
	// GnuPGHome is the absolute path of the tenant's GnuPG home. Empty: the
	// tenant has no PGP key, and a file's PGP keys are not tried (gpg never
	// runs with the default home).
	GnuPGHome string
}

// Validate reports what makes the keys unusable: no name, no key at all,
// or a GnuPG home that is not an absolute path.
func (k *TenantKeys) Validate() error {
	switch {
	case k.Tenant == "":
		return errors.New("the tenant has no name")
	case !hasIdentity(k.AgeIdentities) && k.GnuPGHome == "":
		return fmt.Errorf("tenant %q has no key: give it an age key file or a GnuPG home", k.Tenant)
	case k.GnuPGHome != "" && !filepath.IsAbs(k.GnuPGHome):
		return fmt.Errorf("tenant %q: the GnuPG home %q is not an absolute path", k.Tenant, k.GnuPGHome)
	}
	return nil
}

// hasIdentity reports whether an identity file has a line that is neither
// blank nor a comment.
func hasIdentity(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			return true
		}
	}
	return false
}
