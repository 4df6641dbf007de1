package secrets

import (
	"sync"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// Ref is a secret reference as a request writes it: the file (relative to
// the resolver's root), optionally a key inside it, a format overriding
// the one the extension gives, and whether plaintext is accepted.
type Ref = v1alpha1.SecretRef

// Resolver resolves references under one root directory. Each file is read
// and decrypted at most once per Resolver, however many references name it.
// A Resolver is safe for concurrent use.
type Resolver struct {
	files  fileReader
	dec    Decryptor // nil: the files are plaintext (NewMemoryResolver)
	budget *Budget

	mu    sync.Mutex
	cache map[cacheKey]cached
}

type cacheKey struct {
	file           string
	format         Format
	allowPlaintext bool
}

type cached struct {
	doc *Document
	err error
}

// fileReader reads a file by its path relative to a root.
type fileReader interface {
	ReadFile(rel string) ([]byte, error)
}

// NewResolver returns a resolver reading under root with dec.
func NewResolver(root *Root, dec Decryptor) *Resolver {
	return &Resolver{files: root, dec: dec, cache: map[cacheKey]cached{}}
}

// NewMemoryResolver returns a resolver over plaintext files held in memory
// by their path (what `new` is about to encrypt): a reference resolves as
// it would through a Root (its key, its format), without decryption.
func NewMemoryResolver(files map[string][]byte) *Resolver {
	return &Resolver{files: memoryFiles(files), cache: map[cacheKey]cached{}}
}

type memoryFiles map[string][]byte

func (m memoryFiles) ReadFile(rel string) ([]byte, error) {
	if data, ok := m[rel]; ok {
		return data, nil
	}
	return nil, NewError(rel, ReasonNotFound, "no such file")
}

// WithBudget makes r charge every file it reads to b (shared by all the
// resolvers of a run) and returns r.
func (r *Resolver) WithBudget(b *Budget) *Resolver {
	r.budget = b
	return r
}

// Resolve returns the referenced value. A value larger than MaxFileSize is
// refused, whatever the size of the file it came from.
func (r *Resolver) Resolve(ref Ref) (Value, error) {
	format := FormatFor(ref.File, ref.Format)
	c := r.load(ref.File, format, ref.AllowUnencrypted)
	if c.err != nil {
		return Value{}, c.err
	}
	var v Value
	var err error
	if ref.Key == "" {
		v, err = c.doc.Whole(ref.File)
	} else {
		v, err = c.doc.Lookup(ref.File, ref.Key)
	}
	if err == nil && v.Len() > MaxFileSize {
		return Value{}, NewError(ref.File, ReasonTooLarge, "the value decrypts to %d bytes; the limit is %d", v.Len(), MaxFileSize)
	}
	return v, err
}

func (r *Resolver) load(file string, format Format, allowPlaintext bool) cached {
	k := cacheKey{file: file, format: format, allowPlaintext: allowPlaintext}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cache[k]; ok {
		return c
	}
	c := r.read(file, format, allowPlaintext)
	r.cache[k] = c
	return c
}

func (r *Resolver) read(file string, format Format, allowPlaintext bool) cached {
	data, err := r.files.ReadFile(file)
	if err != nil {
		return cached{err: err}
	}
	if r.dec == nil {
		doc, err := ParsePlaintext(file, data, format)
		return cached{doc: doc, err: err}
	}
	if err := r.budget.charge(file, len(data)); err != nil {
		return cached{err: err}
	}
	if jsonTooDeep(data, format) {
		return cached{err: NewError(file, ReasonTooLarge, "nests JSON objects and arrays more than %d levels deep, the limit for a file (as for YAML)", MaxParseNesting)}
	}
	doc, err := r.dec.Decrypt(file, data, format)
	if ReasonOf(err) == ReasonPlaintext {
		if !allowPlaintext {
			return cached{err: NewError(file, ReasonPlaintext, "has no sops metadata; encrypt it (sops encrypt --in-place %s) or, for test fixtures only, set allowUnencrypted: true", file)}
		}
		doc, err = r.dec.Parse(file, data, format)
	}
	return cached{doc: doc, err: err}
}

// ReadFile reads a file under the resolver's root, confined like every
// referenced file, without decrypting it.
func (r *Resolver) ReadFile(file string) ([]byte, error) {
	data, err := r.files.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if err := r.budget.charge(file, len(data)); err != nil {
		return nil, err
	}
	return data, nil
}
