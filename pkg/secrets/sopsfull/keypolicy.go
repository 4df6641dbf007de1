package sopsfull

import (
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/azkv"
	"github.com/getsops/sops/v3/gcpkms"
	"github.com/getsops/sops/v3/hckms"
	"github.com/getsops/sops/v3/hcvault"
	"github.com/getsops/sops/v3/keys"
	"github.com/getsops/sops/v3/kms"
	"github.com/getsops/sops/v3/pgp"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// remoteKeyOf describes a sops master key; local is true for age and PGP
// keys, which make no network call. A key type this function does not know
// is remote, of its own kind, and so never allowed. When encrypting, an
// age plugin recipient is not local: encrypting to it runs its plugin.
func remoteKeyOf(k keys.MasterKey, encrypting bool) (key secrets.RemoteKey, local bool) {
	switch mk := k.(type) {
	case *age.MasterKey:
		if p, ok := secrets.AgePluginRecipient(mk.Recipient); ok && encrypting {
			return p, false
		}
		return secrets.RemoteKey{}, true
	case *pgp.MasterKey:
		return secrets.RemoteKey{}, true
	case *hcvault.MasterKey:
		return secrets.RemoteKey{Kind: secrets.KindVault, Endpoint: mk.VaultAddress, EnginePath: mk.EnginePath, ID: mk.KeyName}, false
	case *azkv.MasterKey:
		return secrets.RemoteKey{Kind: secrets.KindAzureKV, Endpoint: mk.VaultURL, ID: mk.Name, Version: mk.Version}, false
	case *kms.MasterKey:
		return secrets.RemoteKey{Kind: secrets.KindAWSKMS, ID: mk.Arn, Role: mk.Role, Profile: mk.AwsProfile}, false
	case *gcpkms.MasterKey:
		return secrets.RemoteKey{Kind: secrets.KindGCPKMS, ID: mk.ResourceID}, false
	case *hckms.MasterKey:
		// Its client reads Region and KeyUUID, not KeyID.
		id := mk.KeyID
		if mk.Region != "" || mk.KeyUUID != "" {
			id = mk.Region + ":" + mk.KeyUUID
		}
		return secrets.RemoteKey{Kind: secrets.KindHCKMS, ID: id}, false
	default:
		return secrets.RemoteKey{Kind: k.TypeToIdentifier()}, false
	}
}

// filterGroups removes from the key groups, in place, every network key the
// policy does not allow, and returns those keys.
func filterGroups(p secrets.KeyPolicy, groups []sops.KeyGroup) []secrets.RemoteKey {
	var denied []secrets.RemoteKey
	for i, g := range groups {
		kept := make(sops.KeyGroup, 0, len(g))
		for _, k := range g {
			rk, local := remoteKeyOf(k, false)
			if local || p.Allows(rk) {
				kept = append(kept, k)
				continue
			}
			denied = append(denied, rk)
		}
		groups[i] = kept
	}
	return p.Denied(denied)
}

// checkGroups refuses recipients of which any is a network key the policy
// does not allow: encryption contacts every key of every group.
func checkGroups(p secrets.KeyPolicy, what string, groups []sops.KeyGroup) error {
	var remote []secrets.RemoteKey
	for _, g := range groups {
		for _, k := range g {
			if rk, local := remoteKeyOf(k, true); !local {
				remote = append(remote, rk)
			}
		}
	}
	if err := p.Check(what, remote); err != nil {
		return err // a typed nil *Error must not become a non-nil error
	}
	return nil
}

// FilterKeyGroups removes from a file's key groups, in place, every network
// key the policy p does not allow, so that the sops library never contacts
// it, and returns an error naming them (nil when none was removed). A
// caller that still finds a usable key goes on; one that does not reports
// the error.
func FilterKeyGroups(p secrets.KeyPolicy, file string, groups []sops.KeyGroup) error {
	if denied := filterGroups(p, groups); len(denied) > 0 {
		return secrets.NotAllowedError(file, denied)
	}
	return nil
}

// CheckKeyGroups refuses recipients among which any is a network key the
// policy p does not allow, before anything is encrypted to them.
func CheckKeyGroups(p secrets.KeyPolicy, what string, groups []sops.KeyGroup) error {
	return checkGroups(p, what, groups)
}
