package sopsfile

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// An encrypted sops value reads
//
//	ENC[AES256_GCM,data:<base64>,iv:<base64>,tag:<base64>,type:<type>]
//
// sealed with AES-256-GCM under the data key, a nonce of the iv's length
// (32 bytes as sops writes them) and the value's key path as additional
// data. sops matches it with an unanchored-at-the-end regular expression
// whose groups are greedy; well-formed values (the only kind sops writes)
// are parsed here by hand and anything unusual goes through the same
// expression, so that both accept exactly the same strings.
const encPrefix = "ENC[AES256_GCM,data:"

var encPattern = regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)

type encValue struct {
	data, iv, tag []byte
	typ           string
}

var errNotENC = errors.New("not an ENC[AES256_GCM,...] value")

// parseENC splits an encrypted value into its parts.
func parseENC(s string) (encValue, error) {
	var parts [4]string
	if !splitENC(s, &parts) {
		m := encPattern.FindStringSubmatch(s)
		if m == nil {
			return encValue{}, errNotENC
		}
		copy(parts[:], m[1:])
	}
	var v encValue
	var err error
	if v.data, err = base64.StdEncoding.DecodeString(parts[0]); err != nil {
		return encValue{}, errNotENC
	}
	if v.iv, err = base64.StdEncoding.DecodeString(parts[1]); err != nil {
		return encValue{}, errNotENC
	}
	if v.tag, err = base64.StdEncoding.DecodeString(parts[2]); err != nil {
		return encValue{}, errNotENC
	}
	v.typ = parts[3]
	return v, nil
}

// splitENC is the fast path: it accepts only the unambiguous layout, one line,
// exactly the four separators, a single closing bracket at the very end and
// no commas inside the groups. For those strings the regular expression finds
// the same groups.
func splitENC(s string, parts *[4]string) bool {
	if !strings.HasPrefix(s, encPrefix) || !strings.HasSuffix(s, "]") {
		return false
	}
	rest := s[len(encPrefix) : len(s)-1]
	if strings.ContainsAny(rest, "]\n") {
		return false
	}
	seps := [3]string{",iv:", ",tag:", ",type:"}
	for i, sep := range seps {
		idx := strings.Index(rest, sep)
		if idx <= 0 || strings.IndexByte(rest[:idx], ',') >= 0 {
			return false
		}
		parts[i] = rest[:idx]
		rest = rest[idx+len(sep):]
	}
	if rest == "" || strings.IndexByte(rest, ',') >= 0 {
		return false
	}
	parts[3] = rest
	return true
}

// valueCipher decrypts the values of one file under its data key.
type valueCipher struct {
	block cipher.Block
	gcm32 cipher.AEAD // for the 32-byte nonces sops writes
}

func newValueCipher(key []byte) (*valueCipher, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, 32)
	if err != nil {
		return nil, err
	}
	return &valueCipher{block: block, gcm32: gcm}, nil
}

// errDecrypt and errConvert are internal; callers turn them into *Error
// with the key path.
var (
	errDecrypt = errors.New("does not decrypt")
	errConvert = errors.New("does not convert to its type")
	errType    = errors.New("has an unknown type")
)

// open decrypts an ENC value with additional data aad and returns its typed
// plaintext: string, int, float64, bool, []byte, time.Time or Comment. The
// empty string is sops's encryption of an empty value and decrypts to "".
func (c *valueCipher) open(s, aad string) (any, error) {
	if s == "" {
		return "", nil
	}
	v, err := parseENC(s)
	if err != nil {
		return nil, err
	}
	gcm := c.gcm32
	if len(v.iv) != 32 {
		if len(v.iv) == 0 {
			return nil, errDecrypt
		}
		if gcm, err = cipher.NewGCMWithNonceSize(c.block, len(v.iv)); err != nil {
			return nil, errDecrypt
		}
	}
	sealed := make([]byte, 0, len(v.data)+len(v.tag))
	sealed = append(append(sealed, v.data...), v.tag...)
	plain, err := gcm.Open(sealed[:0], v.iv, sealed, []byte(aad))
	if err != nil {
		return nil, errDecrypt
	}
	switch v.typ {
	case "str":
		return string(plain), nil
	case "int":
		n, err := strconv.Atoi(string(plain))
		if err != nil {
			return nil, errConvert
		}
		return n, nil
	case "float":
		f, err := strconv.ParseFloat(string(plain), 64)
		if err != nil {
			return nil, errConvert
		}
		return f, nil
	case "bytes":
		return plain, nil
	case "bool":
		b, err := strconv.ParseBool(string(plain))
		if err != nil {
			return nil, errConvert
		}
		return b, nil
	case "time":
		var t time.Time
		if err := t.UnmarshalText(plain); err != nil {
			return nil, errConvert
		}
		return t, nil
	case "comment":
		return Comment{Text: string(plain)}, nil
	default:
		return nil, errType
	}
}
