package sopsfile

import (
	"fmt"

	"github.com/getsops/sops/v3/shamir"
)

// keyring recovers data keys from a file's key groups with its KeySources.
type keyring struct {
	sources *KeySources
}

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
			if part, err := k.sources.DecryptAge(ak.recipient, ak.enc); err == nil {
				results[i].part = part
				break
			}
		}
		if results[i].part == nil {
			for _, pk := range g.pgp {
				if part, err := k.sources.DecryptPGP(pk.fingerprint, pk.enc, pk.created); err == nil {
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
