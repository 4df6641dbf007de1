package sopsfile

import (
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"hash"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// macOnlyEncryptedSeed starts the MAC of files with mac_only_encrypted, so
// that such a MAC never equals one over all values. It is sha256("sops"),
// the constant sops uses.
var macOnlyEncryptedSeed = [32]byte{
	0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
	0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
}

// rules decides which values are encrypted, as the file's metadata says.
// sops matches its regular expressions with regexp.Match on every use and
// ignores a compile error (the expression then never matches); compiling
// once and treating a bad expression as "never matches" is the same.
type rules struct {
	unencSuffix, encSuffix string
	unencRegex, encRegex   *regexp.Regexp
	unencComment, encCmt   *regexp.Regexp
	hasUnencRegex          bool
	hasEncRegex            bool
	hasUnencComment        bool
	hasEncComment          bool
}

func newRules(m *Metadata) rules {
	compile := func(expr string) *regexp.Regexp {
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil
		}
		return re
	}
	r := rules{unencSuffix: m.UnencryptedSuffix, encSuffix: m.EncryptedSuffix}
	if m.UnencryptedRegex != "" {
		r.hasUnencRegex, r.unencRegex = true, compile(m.UnencryptedRegex)
	}
	if m.EncryptedRegex != "" {
		r.hasEncRegex, r.encRegex = true, compile(m.EncryptedRegex)
	}
	if m.UnencryptedCommentRegex != "" {
		r.hasUnencComment, r.unencComment = true, compile(m.UnencryptedCommentRegex)
	}
	if m.EncryptedCommentRegex != "" {
		r.hasEncComment, r.encCmt = true, compile(m.EncryptedCommentRegex)
	}
	return r
}

func matches(re *regexp.Regexp, s string) bool { return re != nil && re.MatchString(s) }

// encrypted reports whether a leaf at path is encrypted. path holds the
// mapping keys from the root (list positions are not part of it); stack
// holds, per nesting level, the comments seen since the last value; comment
// says whether the leaf is itself a comment. The rules apply in sops's
// order, each later one overriding the earlier.
func (r *rules) encrypted(path []string, stack [][]string, comment bool) bool {
	enc := true
	if r.unencSuffix != "" {
		for _, p := range path {
			if strings.HasSuffix(p, r.unencSuffix) {
				enc = false
				break
			}
		}
	}
	if r.encSuffix != "" {
		enc = false
		for _, p := range path {
			if strings.HasSuffix(p, r.encSuffix) {
				enc = true
				break
			}
		}
	}
	if r.hasUnencRegex {
		for _, p := range path {
			if matches(r.unencRegex, p) {
				enc = false
				break
			}
		}
	}
	if r.hasEncRegex {
		enc = false
		for _, p := range path {
			if matches(r.encRegex, p) {
				enc = true
				break
			}
		}
	}
	if r.hasUnencComment {
	unenc:
		for _, level := range stack {
			for _, c := range level {
				if matches(r.unencComment, c) {
					enc = false
					break unenc
				}
			}
		}
	}
	if r.hasEncComment {
		enc = false
		last := len(stack) - 1
	encr:
		for i, level := range stack {
			for j, c := range level {
				// The comment that carries the marker is not itself
				// encrypted: skip the newest comment when the leaf is it.
				if comment && i == last && j == len(stack[last])-1 {
					continue
				}
				if matches(r.encCmt, c) {
					enc = true
					break encr
				}
			}
		}
	}
	return enc
}

// walker decrypts a tree in place and computes its MAC: SHA-512 over the
// bytes of every value (every encrypted value with mac_only_encrypted) in
// document order; keys and comments are not covered.
type walker struct {
	cipher  *valueCipher
	rules   rules
	macOnly bool
	mac     hash.Hash
	path    []string
	stack   [][]string
	scratch []byte
}

// errWalk is an internal walk failure; detail names the key path only.
type errWalk struct {
	kind   error
	detail string
}

func (e *errWalk) Error() string { return e.detail }

func (w *walker) fail(kind error, what string) error {
	return &errWalk{kind: kind, detail: what + " at " + w.pathString()}
}

func (w *walker) pathString() string {
	if len(w.path) == 0 {
		return "the top level"
	}
	return strconv.Quote(strings.Join(w.path, ":") + ":")
}

func (w *walker) mapping(m Mapping) error {
	w.stack = append(w.stack, nil)
	top := len(w.stack) - 1
	defer func() { w.stack = w.stack[:top] }()
	for i := range m {
		it := &m[i]
		if it.Comment != nil {
			w.stack[top] = append(w.stack[top], it.Comment.Text)
			v, err := w.leaf(*it.Comment)
			if err != nil {
				return err
			}
			switch c := v.(type) {
			case Comment:
				it.Comment = &c
			case string:
				it.Comment = &Comment{Text: c, Inline: it.Comment.Inline}
			default:
				return w.fail(ErrTampered, "an encrypted comment decrypts to a non-text value")
			}
			continue
		}
		w.path = append(w.path, it.Key)
		v, err := w.value(it.Value)
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
		it.Value = v
		w.stack[top] = w.stack[top][:0:0]
	}
	return nil
}

func (w *walker) list(l List) error {
	w.stack = append(w.stack, nil)
	top := len(w.stack) - 1
	defer func() { w.stack = w.stack[:top] }()
	for i, item := range l {
		c, isComment := item.(Comment)
		if isComment {
			w.stack[top] = append(w.stack[top], c.Text)
		}
		v, err := w.value(item)
		if err != nil {
			return err
		}
		l[i] = v
		if !isComment {
			w.stack[top] = w.stack[top][:0:0]
		}
	}
	return nil
}

func (w *walker) value(v any) (any, error) {
	switch x := v.(type) {
	case Mapping:
		return x, w.mapping(x)
	case List:
		return x, w.list(x)
	case nil:
		return nil, nil
	case []byte:
		return w.leaf(string(x))
	case string, int, bool, float64, time.Time, Comment:
		return w.leaf(x)
	default:
		return nil, w.fail(ErrTampered, "a value of an unsupported type")
	}
}

// leaf decrypts one value if the rules say it is encrypted and adds it to
// the MAC.
func (w *walker) leaf(in any) (any, error) {
	c, isComment := in.(Comment)
	enc := w.rules.encrypted(w.path, w.stack, isComment)
	out := in
	if enc {
		aad := w.aad()
		switch {
		case isComment:
			v, err := w.cipher.open(c.Text, aad)
			if err == nil {
				out = v
			} // else: a comment sops left unencrypted (older sops versions)
		default:
			s, ok := in.(string)
			if !ok {
				return nil, w.fail(ErrTampered, "a value that should be encrypted is not")
			}
			v, err := w.cipher.open(s, aad)
			switch {
			case errors.Is(err, errNotENC):
				return nil, w.fail(ErrTampered, "a value that should be encrypted is not")
			case errors.Is(err, errConvert):
				return nil, w.fail(ErrTampered, "a decrypted value does not convert to its declared type")
			case errors.Is(err, errType):
				return nil, w.fail(ErrTampered, "an encrypted value has an unknown type")
			case err != nil:
				return nil, w.fail(ErrTampered, "a value does not decrypt")
			}
			out = v
		}
	}
	if !w.macOnly || enc {
		if _, isC := out.(Comment); !isC {
			if err := w.hash(out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// aad is the additional data of a value: its key path joined and ended
// with ':'.
func (w *walker) aad() string {
	n := len(w.path)
	for _, p := range w.path {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range w.path {
		b.WriteString(p)
		b.WriteByte(':')
	}
	if len(w.path) == 0 {
		return ":"
	}
	return b.String()
}

// hash adds a value's MAC bytes: as sops's ToBytes, with bools spelled
// "True" and "False".
func (w *walker) hash(v any) error {
	b := w.scratch[:0]
	switch x := v.(type) {
	case string:
		_, _ = w.mac.Write([]byte(x))
		return nil
	case []byte:
		_, _ = w.mac.Write(x)
		return nil
	case int:
		b = strconv.AppendInt(b, int64(x), 10)
	case float64:
		b = strconv.AppendFloat(b, x, 'f', -1, 64)
	case bool:
		if x {
			b = append(b, "True"...)
		} else {
			b = append(b, "False"...)
		}
	case time.Time:
		t, err := x.MarshalText()
		if err != nil {
			return w.fail(ErrTampered, "a time value cannot be represented")
		}
		b = append(b, t...)
	default:
		return w.fail(ErrTampered, "a value of an unsupported type")
	}
	_, _ = w.mac.Write(b)
	w.scratch = b
	return nil
}

// decryptTree decrypts all branches in place and checks the MAC.
func decryptTree(branches []Mapping, md *Metadata, dataKey []byte) error {
	vc, err := newValueCipher(dataKey)
	if err != nil {
		return errorf(ErrTampered, "the recovered data key is not an AES-256 key")
	}
	w := &walker{cipher: vc, rules: newRules(md), macOnly: md.MACOnlyEncrypted, mac: sha512.New(), path: make([]string, 0, 8), stack: make([][]string, 0, 8)}
	if md.MACOnlyEncrypted {
		_, _ = w.mac.Write(macOnlyEncryptedSeed[:])
	}
	for _, b := range branches {
		if err := w.mapping(b); err != nil {
			var we *errWalk
			if errors.As(err, &we) {
				e := &Error{Kind: we.kind, Detail: we.detail}
				if we.kind == ErrTampered {
					e.Sub = ErrValueUndecryptable
				}
				return e
			}
			return err
		}
	}
	sum := w.mac.Sum(nil)
	computed := strings.ToUpper(hex.EncodeToString(sum))
	stored, err := vc.open(md.mac, md.LastModified.Format(time.RFC3339))
	if err != nil {
		return &Error{Kind: ErrTampered, Sub: ErrMACUndecryptable, Detail: "the MAC does not decrypt: the sops metadata (mac or lastmodified) was modified after encryption"}
	}
	if s, ok := stored.(string); !ok || s != computed {
		return &Error{Kind: ErrTampered, Sub: ErrMACMismatch, Detail: "MAC mismatch: the file was modified after encryption"}
	}
	return nil
}
