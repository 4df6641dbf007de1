package sopsfile

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/pgp"
	"github.com/getsops/sops/v3/shamir"
)

// keyring recovers data keys with sops's own age and PGP key sources, so
// that keys are found exactly where sops finds them: SOPS_AGE_KEY,
// SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD (given SOPS_AGE_RECIPIENT),
// SOPS_AGE_SSH_PRIVATE_KEY_FILE/_CMD, ~/.ssh/id_ed25519 and id_rsa,
// $XDG_CONFIG_HOME/sops/age/keys.txt; the PGP keyrings and the gpg binary
// under GNUPGHOME.
//
// sops builds a fresh age key for every file and so loads the identities
// (reads the files, runs the commands) once per file. Here one age key per
// recipient is kept for the life of the keyring: its identities load once
// (sops's age key loads lazily and at most once), and every later file for
// that recipient reuses them. Loading that finds no identity is not kept,
// so it is retried for the next file, as sops would.
//
// A keyring of a tenant (withTenant) uses only that tenant's identities and
// GnuPG home: none of the sources above, and no age or PGP key at all when
// the tenant has none of that kind.
type keyring struct {
	mu  sync.Mutex
	age map[string]*ageSlot

	// tenant is set for a tenant's keyring: then ageIDs (possibly none)
	// are the only age identities and gnupgHome ("": none) the only PGP
	// keyring.
	tenant    bool
	ageIDs    age.ParsedIdentities
	gnupgHome string
}

// withTenant makes k a tenant's keyring: identities is the text of its
// age identity files, gnupgHome its GnuPG home ("" for none).
func (k *keyring) withTenant(identities, gnupgHome string) error {
	var ids age.ParsedIdentities
	if strings.TrimSpace(identities) != "" {
		if err := ids.Import(identities); err != nil {
			// age's parse errors quote the offending line: a private key.
			return errors.New("the tenant's age key file holds a line that is not an age identity")
		}
	}
	if gnupgHome != "" {
		// sops ignores a home that fails this check and falls back to the
		// environment's GNUPGHOME: refuse it instead.
		if err := pgp.GnuPGHome(gnupgHome).Validate(); err != nil {
			return fmt.Errorf("the tenant's GnuPG home %s cannot be used (%v)", gnupgHome, err)
		}
	}
	k.tenant, k.ageIDs, k.gnupgHome = true, ids, gnupgHome
	return nil
}

type ageSlot struct {
	mu  sync.Mutex
	key *age.MasterKey
	// loaded is set once key has decrypted a file: its identities are then
	// parsed and immutable, and copies of it decrypt concurrently.
	loaded bool
}

func (k *keyring) ageSlot(recipient string) *ageSlot {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.age == nil {
		k.age = map[string]*ageSlot{}
	}
	s := k.age[recipient]
	if s == nil {
		s = &ageSlot{}
		k.age[recipient] = s
	}
	return s
}

func (k *keyring) decryptAge(key ageKey) ([]byte, error) {
	if k.tenant {
		if len(k.ageIDs) == 0 {
			// An age key with no identity loads the environment's.
			return nil, errNoTenantKey
		}
		mk := &age.MasterKey{Recipient: key.recipient, EncryptedKey: key.enc}
		k.ageIDs.ApplyToMasterKey(mk)
		return mk.Decrypt()
	}
	slot := k.ageSlot(key.recipient)
	slot.mu.Lock()
	if slot.loaded {
		// A copy shares the parsed identities (read-only) and carries its
		// own encrypted key, so files decrypt in parallel.
		mk := *slot.key
		slot.mu.Unlock()
		mk.EncryptedKey = key.enc
		return mk.Decrypt()
	}
	defer slot.mu.Unlock()
	if slot.key == nil {
		slot.key = &age.MasterKey{Recipient: key.recipient}
	}
	slot.key.EncryptedKey = key.enc
	out, err := slot.key.Decrypt()
	if err == nil {
		slot.loaded = true
	}
	if err != nil && strings.HasPrefix(err.Error(), "failed to load age identities") {
		// No identity was found: the key keeps none, so drop it and let
		// the next file look again, as sops would.
		slot.key = nil
	}
	return out, err
}

func (k *keyring) decryptPGP(key pgpKey) ([]byte, error) {
	// Never hand gpg or go-crypto a message that decrypts without bound.
	if err := CheckPGPMessage(key.enc); err != nil {
		return nil, err
	}
	if k.tenant && k.gnupgHome == "" {
		return nil, errNoTenantKey // gpg would use the default home
	}
	mk := &pgp.MasterKey{Fingerprint: key.fingerprint, EncryptedKey: key.enc, CreationDate: key.created}
	if k.gnupgHome != "" {
		pgp.GnuPGHome(k.gnupgHome).ApplyToMasterKey(mk)
	}
	return mk.Decrypt()
}

// errNoTenantKey: the tenant holds no key of that kind.
var errNoTenantKey = errors.New("the tenant holds no key of this kind")

// groupResult is what one key group gave.
type groupResult struct {
	part     []byte
	deferred bool // unsatisfied, but lists keys of other sources
}

// dataKey recovers the data key from the metadata's key groups. Keys of a
// group are tried until one works; with one group its part is the key,
// with several the parts of at least ShamirThreshold groups are combined.
// When age and PGP are not enough but a group that failed also lists other
// key sources, the error is ErrNeedsFullSOPS.
func (k *keyring) dataKey(md *Metadata) ([]byte, error) {
	results := make([]groupResult, len(md.KeyGroups))
	var parts [][]byte
	deferred := 0
	for i, g := range md.KeyGroups {
		for _, ak := range g.age {
			if part, err := k.decryptAge(ak); err == nil {
				results[i].part = part
				break
			}
		}
		if results[i].part == nil {
			for _, pk := range g.pgp {
				if part, err := k.decryptPGP(pk); err == nil {
					results[i].part = part
					break
				}
			}
		}
		switch {
		case results[i].part != nil:
			parts = append(parts, results[i].part)
		case len(g.Other) > 0:
			results[i].deferred = true
			deferred++
		}
	}
	keys := md.Keys()
	if len(md.KeyGroups) == 1 {
		switch {
		case len(parts) == 1:
			return parts[0], nil
		case deferred > 0:
			return nil, &Error{Kind: ErrNeedsFullSOPS, Detail: "no age or PGP key of the file is available, and it also lists other key sources", Keys: keys}
		default:
			return nil, &Error{Kind: ErrNoKey, Detail: "none of the file's keys is available", Keys: keys}
		}
	}
	need := md.ShamirThreshold
	if need <= 0 {
		// sops writes the threshold (the number of groups when none was
		// given); without one it combines whatever parts it recovered.
		// Requiring every group is the safe reading of such a file.
		need = len(md.KeyGroups)
	}
	if len(parts) >= need {
		key, err := shamir.Combine(parts)
		if err != nil {
			return nil, &Error{Kind: ErrTampered, Detail: "the key groups' parts do not combine into a data key", Keys: keys}
		}
		return key, nil
	}
	if len(parts)+deferred >= need {
		return nil, &Error{Kind: ErrNeedsFullSOPS, Detail: fmt.Sprintf("%d of the %d key groups needed could be decrypted with age or PGP; the others list other key sources", len(parts), need), Keys: keys}
	}
	return nil, &Error{Kind: ErrNoKey, Detail: fmt.Sprintf("%d of the %d key groups needed could be decrypted", len(parts), need), Keys: keys}
}
