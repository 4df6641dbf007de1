package sopsfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age/armor"
	"github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/pgp"
)

// The bounds on what a file's key groups can make a run do. A file is
// written by whoever commits it, and sops tries every master key it lists:
// without them, one 1 MiB file ran gpg 1,950 times (10 s), ran the
// operator's SOPS_AGE_KEY_CMD once per listed recipient, or made age
// unwrap 1,024 stanzas per key (found by review).
const (
	// MaxMasterKeys bounds the master keys of one file, all groups
	// together; sops writes one per recipient.
	MaxMasterKeys = 32
	// MaxAgeStanzas bounds the recipient stanzas of one age master key's
	// encrypted data key; sops writes exactly one.
	MaxAgeStanzas = 2
	// MaxPGPAttempts bounds the PGP master keys a KeySources tries in its
	// lifetime (a run): each may start gpg.
	MaxPGPAttempts = 64
)

// ErrNoKeyOfKind is a master key KeySources did not try because it holds
// no key of that kind: a tenant without age identities or GnuPG home, a
// GnuPG home with no secret key, or a run past MaxPGPAttempts.
var ErrNoKeyOfKind = errors.New("no key of this kind is available")

// KeySources are where a run's age and PGP keys come from: a tenant's own
// (NewTenantKeySources), or the environment's (NewEnvKeySources), as sops
// finds them. Both SOPS implementations decrypt age and PGP master keys
// through it, so that they bound the same work the same way:
//
//   - age identities load once per run: a tenant's are parsed up front;
//     the environment's (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD,
//     SOPS_AGE_SSH_PRIVATE_KEY_FILE/_CMD, ~/.ssh/id_ed25519 and id_rsa,
//     $XDG_CONFIG_HOME/sops/age/keys.txt) on the first age key, with
//     SOPS_AGE_RECIPIENT empty: no file's recipient text ever reaches the
//     operator's key command, and the command runs at most once;
//   - an age key whose data key has more than MaxAgeStanzas stanzas is not
//     tried;
//   - PGP keys are tried only when the GnuPG home (the tenant's, or
//     GNUPGHOME, else ~/.gnupg) holds a secret key, at most MaxPGPAttempts
//     times, each after CheckPGPMessage: gpg never starts for a renderer
//     that has no PGP key.
//
// It is safe for concurrent use.
type KeySources struct {
	// tenant: ageIDs (possibly none) are the only identities and
	// gnupgHome the only PGP home ("": none).
	tenant    bool
	ageIDs    age.ParsedIdentities
	gnupgHome string

	envOnce sync.Once
	// envTemplate holds the environment's identities once loaded (a copy
	// shares them, read-only); envErr is why none could be loaded.
	envTemplate *age.MasterKey
	envErr      error
	envFirst    struct {
		enc string
		out []byte
		err error
	}

	pgpOnce     sync.Once
	pgpUsable   bool
	pgpAttempts atomic.Int32
}

// NewEnvKeySources returns the environment's key sources.
func NewEnvKeySources() *KeySources { return &KeySources{} }

// NewTenantKeySources returns a tenant's: identities is the text of its age
// identity files ("" for none), gnupgHome its GnuPG home ("" for none).
// The error (a line that is not an age identity, an unusable home) never
// quotes the text.
func NewTenantKeySources(identities, gnupgHome string) (*KeySources, error) {
	var ids age.ParsedIdentities
	if strings.TrimSpace(identities) != "" {
		if err := ids.Import(identities); err != nil {
			// age's parse errors quote the offending line: a private key.
			return nil, errors.New("the tenant's age key file holds a line that is not an age identity")
		}
	}
	if gnupgHome != "" {
		// sops ignores a home that fails this check and falls back to the
		// environment's GNUPGHOME: refuse it instead.
		if err := pgp.GnuPGHome(gnupgHome).Validate(); err != nil {
			return nil, fmt.Errorf("the tenant's GnuPG home %s cannot be used (%v)", gnupgHome, err)
		}
	}
	return &KeySources{tenant: true, ageIDs: ids, gnupgHome: gnupgHome}, nil
}

// DecryptAge decrypts an age master key's encrypted data key.
func (s *KeySources) DecryptAge(recipient, enc string) ([]byte, error) {
	if err := CheckAgeMessage(enc); err != nil {
		return nil, err
	}
	if s.tenant {
		if len(s.ageIDs) == 0 {
			return nil, ErrNoKeyOfKind // an age key with no identity loads the environment's
		}
		mk := &age.MasterKey{Recipient: recipient, EncryptedKey: enc}
		s.ageIDs.ApplyToMasterKey(mk)
		return mk.Decrypt()
	}
	first := false
	s.envOnce.Do(func() {
		first = true
		// The empty Recipient is what SOPS_AGE_KEY_CMD sees as
		// SOPS_AGE_RECIPIENT.
		mk := &age.MasterKey{EncryptedKey: enc}
		out, err := mk.Decrypt()
		if err != nil && strings.HasPrefix(err.Error(), "failed to load age identities") {
			s.envErr = err
			return
		}
		s.envTemplate = mk
		s.envFirst.enc, s.envFirst.out, s.envFirst.err = enc, out, err
	})
	if s.envErr != nil {
		return nil, s.envErr
	}
	if first {
		return s.envFirst.out, s.envFirst.err
	}
	mk := *s.envTemplate
	mk.EncryptedKey = enc
	return mk.Decrypt()
}

// DecryptPGP decrypts a PGP master key's encrypted data key.
func (s *KeySources) DecryptPGP(fingerprint, enc string, created time.Time) ([]byte, error) {
	// Never hand gpg or go-crypto a message that decrypts without bound.
	if err := CheckPGPMessage(enc); err != nil {
		return nil, err
	}
	s.pgpOnce.Do(func() { s.pgpUsable = hasSecretKeys(s.home()) })
	if !s.pgpUsable || s.pgpAttempts.Add(1) > MaxPGPAttempts {
		return nil, ErrNoKeyOfKind
	}
	mk := &pgp.MasterKey{Fingerprint: fingerprint, EncryptedKey: enc, CreationDate: created}
	if s.gnupgHome != "" {
		pgp.GnuPGHome(s.gnupgHome).ApplyToMasterKey(mk)
	}
	return mk.Decrypt()
}

// home is the GnuPG home PGP keys are opened with ("" when a tenant has
// none), as sops and gpg choose it.
func (s *KeySources) home() string {
	if s.tenant {
		return s.gnupgHome
	}
	if h := os.Getenv("GNUPGHOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".gnupg")
	}
	return ""
}

// hasSecretKeys reports whether a GnuPG home holds a secret key: an entry
// of private-keys-v1.d (GnuPG 2.1 and later, smartcard stubs included) or
// a non-empty legacy secring.gpg. Without one gpg could decrypt nothing.
func hasSecretKeys(home string) bool {
	if home == "" {
		return false
	}
	if entries, err := os.ReadDir(filepath.Join(home, "private-keys-v1.d")); err == nil && len(entries) > 0 {
		return true
	}
	fi, err := os.Stat(filepath.Join(home, "secring.gpg"))
	return err == nil && fi.Size() > 0
}

// CheckAgeMessage refuses an age master key's encrypted data key that
// holds more than MaxAgeStanzas recipient stanzas (each costs an unwrap
// per identity), reading only its header. The error never quotes it.
func CheckAgeMessage(enc string) error {
	r := armor.NewReader(strings.NewReader(enc))
	buf := make([]byte, 4096)
	var header []byte
	for len(header) < 64<<10 {
		n, err := r.Read(buf)
		header = append(header, buf[:n]...)
		if i := strings.Index(string(header), "\n--- "); i >= 0 {
			header = header[:i]
			break
		}
		if err != nil {
			break // not armored age, or cut: age itself says so
		}
	}
	if n := strings.Count(string(header), "\n-> "); n > MaxAgeStanzas {
		return &Error{Kind: ErrMalformed, Detail: fmt.Sprintf("an age key's encrypted data key holds %d recipient stanzas; sops writes one, and at most %d are read", n, MaxAgeStanzas)}
	}
	return nil
}

// CheckKeyCount refuses metadata that lists more than MaxMasterKeys master
// keys (n, all groups together).
func CheckKeyCount(n int) error {
	if n > MaxMasterKeys {
		return &Error{Kind: ErrTooMany, Detail: fmt.Sprintf("the sops metadata lists %d master keys; sops writes one per recipient, and a file with more than %d is not read", n, MaxMasterKeys)}
	}
	return nil
}
