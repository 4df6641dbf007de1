package sopsfile

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// OpenPGP packet tags (RFC 9580, section 5).
const (
	tagPublicKeyEncryptedSessionKey = 1
	tagSymmetricallyEncrypted       = 9
	tagSymIntegrityProtected        = 18
	tagAEADEncrypted                = 20
)

// maxPGPRecipients and maxPGPEncryptedData bound a PGP-encrypted data key:
// sops encrypts a 32-byte key, which takes one session-key packet per
// recipient and an encrypted-data packet of 90 to 170 bytes (compressed or
// not, SEIPD v1 or v2).
const (
	maxPGPRecipients    = 16
	maxPGPEncryptedData = 256
)

// CheckPGPMessage checks that enc (a PGP master key's "enc", written by
// whoever commits the file) is what sops writes: public-key-encrypted
// session keys followed by one small encrypted-data packet. Before any
// decryption, this refuses what would make gpg or go-crypto work without
// bound: a compressed or literal message that needs no key at all (gpg -d
// unpacks 1 GiB of zeros from 2 KB) and encrypted data large enough to
// hold a large compression bomb. The bound on the encrypted packet also
// bounds what it can decompress to (bzip2 packs runs of zeros best: about
// a hundred megabytes in 256 bytes, for a message encrypted to the
// operator's own key; gpg's own --max-output is not reachable through sops).
func CheckPGPMessage(enc string) error {
	block, err := armor.Decode(strings.NewReader(enc))
	if err != nil {
		return errors.New("is not an ASCII-armored PGP message")
	}
	r := packet.NewOpaqueReader(block.Body)
	recipients := 0
	for {
		p, err := r.Next()
		if err == io.EOF {
			return errors.New("has no encrypted data")
		}
		if err != nil {
			return errors.New("is not a well-formed PGP message")
		}
		switch p.Tag {
		case tagPublicKeyEncryptedSessionKey:
			if recipients++; recipients > maxPGPRecipients {
				return fmt.Errorf("is encrypted to more than %d keys", maxPGPRecipients)
			}
		case tagSymIntegrityProtected, tagAEADEncrypted, tagSymmetricallyEncrypted:
			if recipients == 0 {
				return errors.New("is not encrypted to a public key")
			}
			if len(p.Contents) > maxPGPEncryptedData {
				return fmt.Errorf("holds %d bytes of encrypted data; a data key needs at most %d", len(p.Contents), maxPGPEncryptedData)
			}
			if _, err := r.Next(); err != io.EOF {
				return errors.New("has packets after its encrypted data")
			}
			return nil
		default:
			return fmt.Errorf("has a packet of type %d where only public-key-encrypted session keys and encrypted data belong", p.Tag)
		}
	}
}
