package secrets

import (
	"sync"
)

// Ref is what a Resolver needs to know about a reference.
type Ref struct {
	// File is the path relative to the resolver's root.
	File string
	// Key optionally selects a value inside a structured file.
	Key string
	// Format overrides the format inferred from the extension.
	Format string
	// AllowUnencrypted accepts a plaintext file.
	AllowUnencrypted bool
}

// Resolver resolves references under one root directory. Each file is read
// and decrypted at most once per Resolver, however many references name it.
// A Resolver is safe for concurrent use.
type Resolver struct {
	root   *Root
	dec    Decryptor
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

// NewResolver returns a resolver reading under root with dec.
func NewResolver(root *Root, dec Decryptor) *Resolver {
	return &Resolver{root: root, dec: dec, cache: map[cacheKey]cached{}}
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
	data, err := r.root.ReadFile(file)
	if err != nil {
		return cached{err: err}
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
	data, err := r.root.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if err := r.budget.charge(file, len(data)); err != nil {
		return nil, err
	}
	return data, nil
}
