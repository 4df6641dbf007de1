package secrets

// Encryptor SOPS-encrypts what the function renders (output.encrypt) and
// what `clusterpair-fn new` writes. Implementations: package sopsfull (the
// sops library) and package sopslean (which has the full build's
// co-process encrypt). Errors name keys, recipients and files, never the
// plaintext.
type Encryptor interface {
	// EncryptYAML encrypts a YAML document to opts.Groups, the way
	// `sops encrypt` would with the same options, and returns the encrypted
	// YAML. Recipients opts.Policy does not allow are refused first
	// (EncryptOptions.CheckRecipients).
	EncryptYAML(plaintext []byte, opts EncryptOptions) ([]byte, error)
	// EncryptFile encrypts plaintext for the file at target the way
	// `sops encrypt --filename-override TARGET` does: format from the
	// target's extension, recipients from opts or the matching creation
	// rule of the sops configuration. Nothing is written to disk.
	EncryptFile(plaintext []byte, target string, opts FileEncryptOptions) (*EncryptedFile, error)
}
