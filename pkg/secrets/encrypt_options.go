package secrets

// KeyGroup is one group of master keys; every key in it can recover the
// group's share of the data key.
type KeyGroup struct {
	// Age recipients (age1...).
	Age []string
	// PGP fingerprints.
	PGP []string
	// AWSKMS keys.
	AWSKMS []AWSKMSKey
	// GCPKMS resource IDs (projects/.../cryptoKeys/...).
	GCPKMS []string
	// AzureKeyVault key URLs (https://VAULT.vault.azure.net/keys/NAME/VERSION).
	AzureKeyVault []string
	// HCVaultTransit key URIs (https://vault:8200/v1/transit/keys/NAME).
	HCVaultTransit []string
}

// AWSKMSKey is an AWS KMS key with optional role, profile and encryption context.
type AWSKMSKey struct {
	ARN     string
	Role    string
	Profile string
	Context map[string]string
}

// EncryptOptions says how to encrypt a document.
type EncryptOptions struct {
	// Groups are the key groups; with one group, any key of it decrypts.
	Groups []KeyGroup
	// ShamirThreshold is how many groups are needed (0: all of them).
	ShamirThreshold int
	// EncryptedRegex selects the keys whose values are encrypted; empty: all.
	EncryptedRegex string
	// MACOnlyEncrypted makes the MAC cover encrypted values only, so that
	// changes to plaintext metadata (annotations added by kustomize or kpt) do
	// not invalidate the file.
	MACOnlyEncrypted bool
	// Policy lists the network key sources that may be contacted; a
	// recipient of another is refused before any key is contacted.
	Policy KeyPolicy
}

// IsEmpty reports whether the group has no key.
func (g KeyGroup) IsEmpty() bool {
	return len(g.Age)+len(g.PGP)+len(g.AWSKMS)+len(g.GCPKMS)+len(g.AzureKeyVault)+len(g.HCVaultTransit) == 0
}
