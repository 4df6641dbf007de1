package secrets

import "errors"

// FileEncryptOptions says how Encryptor.EncryptFile finds its recipients.
type FileEncryptOptions struct {
	// Age and PGP are explicit recipients (like `sops encrypt --age` and
	// `--pgp`): they replace the keys of the matching creation rule, whose
	// other settings (encrypted_regex, mac_only_encrypted...) still apply.
	Age []string
	PGP []string
	// ConfigFile is the sops configuration to use (like `sops --config`).
	// Empty: $SOPS_CONFIG, else the first .sops.yaml found in the target's
	// directory or above it.
	ConfigFile string
	// Getenv reads SOPS_CONFIG; nil means os.Getenv.
	Getenv func(string) string
	// Policy lists the network key sources that may be contacted; a
	// creation rule naming another is refused before any key is contacted.
	Policy KeyPolicy
}

// EncryptedFile is the result of Encryptor.EncryptFile.
type EncryptedFile struct {
	// Data is the encrypted file, ready to be written to the target path.
	Data []byte
	// ConfigFile is the sops configuration whose creation rule applied, or
	// "" when none was used.
	ConfigFile string
	// Recipients are the public identifiers of the master keys the data key
	// was encrypted to ("age age1...", "pgp FINGERPRINT"), sorted.
	Recipients []string
}

// ErrNoRecipients means neither explicit recipients nor a creation rule
// said whom to encrypt to.
var ErrNoRecipients = errors.New("no recipients: give --age or --pgp, or add a .sops.yaml with creation_rules")
