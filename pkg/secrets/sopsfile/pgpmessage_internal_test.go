package sopsfile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// message armors packets of the given tags; an encrypted-data packet gets
// size bytes of contents, every other packet a few.
func message(t *testing.T, size int, tags ...uint8) string {
	t.Helper()
	var out bytes.Buffer
	w, err := armor.Encode(&out, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tags {
		contents := []byte{3, 1, 2, 3}
		if tag == tagSymIntegrityProtected {
			contents = make([]byte, size)
		}
		if err := (&packet.OpaquePacket{Tag: tag, Contents: contents}).Serialize(w); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestCheckPGPMessageShapes(t *testing.T) {
	const pkesk, seipd, literal = tagPublicKeyEncryptedSessionKey, tagSymIntegrityProtected, 11
	tooMany := make([]uint8, maxPGPRecipients+1)
	for i := range tooMany {
		tooMany[i] = pkesk
	}
	cases := []struct {
		name string
		enc  string
		want string // "" for accepted
	}{
		{"session key and small encrypted data", message(t, 100, pkesk, seipd), ""},
		{"two recipients", message(t, 100, pkesk, pkesk, seipd), ""},
		{"encrypted data at the limit", message(t, maxPGPEncryptedData, pkesk, seipd), ""},
		{"not armored", "not a message", "is not an ASCII-armored PGP message"},
		{"no packets", message(t, 0), "has no encrypted data"},
		{"only a session key", message(t, 0, pkesk), "has no encrypted data"},
		{"encrypted data for no one", message(t, 100, seipd), "is not encrypted to a public key"},
		{"too many recipients", message(t, 100, append(tooMany, seipd)...), "more than 16 keys"},
		{"encrypted data too large", message(t, maxPGPEncryptedData+1, pkesk, seipd), "a data key needs at most 256"},
		{"a packet after the encrypted data", message(t, 100, pkesk, seipd, literal), "has packets after its encrypted data"},
		{"a literal packet", message(t, 0, pkesk, literal), "a packet of type 11"},
		{"armored bytes that are no packet", armored(t, []byte{0, 1, 2}), "is not a well-formed PGP message"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPGPMessage(tc.enc)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// armored armors raw bytes.
func armored(t *testing.T, data []byte) string {
	t.Helper()
	var out bytes.Buffer
	w, err := armor.Encode(&out, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
