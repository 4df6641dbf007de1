package secrets

import (
	"fmt"
	"io"
)

// The limits of one run: every bound on what a repository can make a
// renderer read, parse, decrypt or print, in one place (SECURITY.md, "Bounded
// work per run", documents each with its test). The first two are the
// operator's to raise (Limits); the others are fixed.
const (
	// DefaultMaxRequests is how many ClusterPairRequests one run renders
	// at most (Limits.MaxRequests); a larger input is refused before any of
	// them is decoded.
	DefaultMaxRequests = 2000
	// DefaultMaxReadBytes bounds the bytes one run reads from referenced
	// files, all of them together (Limits.MaxReadBytes, a Budget).
	DefaultMaxReadBytes = 64 << 20
	// MaxInputSize bounds the ResourceList read from stdin.
	MaxInputSize = 64 << 20
	// MaxInputSeparators bounds the YAML separators one run parses (the
	// ResourceList; a kustomization and all its generator files together,
	// a ParseBudget; each file check searches), counted before anything is
	// parsed (YAMLSeparators). Parsed YAML takes about a kilobyte per node
	// and every node needs a separator, so the count bounds the memory of
	// the parse: 150,000 separators in one document peaked at 175 MB RSS
	// (500,000, the bound before a review, at 586 MiB per generator file).
	// 2,000 requests need about 120,000.
	MaxInputSeparators = 150_000
	// MaxFileSize is the largest file read (a referenced file, a token or
	// credential new reads, a tenant map or key, a file rekey rewrites, a
	// file check searches) and the largest decrypted value. Kubeconfigs and
	// tokens are a few KiB.
	MaxFileSize = 1 << 20
	// MaxNesting is how many mappings and lists deep a value may nest where
	// it is re-encoded: what a key selects (printed as YAML) and the whole
	// of a structured file (printed in its own format). Re-encoding
	// indents every line by its depth, so the output of a nested value
	// grows with the square of its nesting (96 KB of nested JSON printed as
	// about 1 GB of YAML): before anything is encoded, the value is walked
	// (boundEncoding), and refused deeper than MaxNesting or when it could
	// print to more than MaxFileSize bytes. A kubeconfig nests about six
	// levels.
	MaxNesting = 100
	// MaxParseNesting is how deeply a JSON file may nest objects and
	// arrays, checked on its bytes before a decryptor parses it: both
	// parsers (sops's and package sopsfile's) recurse once a level, so
	// 1 MiB of "[" took 128 MB of stack. YAML files have the same limit from
	// go.yaml.in/yaml/v3, as encoding/json's Unmarshal has.
	MaxParseNesting = 10000
)

// Limits bound the work of one run, so that one commit cannot take a shared
// renderer (an Argo CD repo-server, a CI runner) down. They are the
// operator's: flags and environment (or a tenant's map entry), never the
// input. Zero fields take the defaults.
type Limits struct {
	// MaxRequests bounds the ClusterPairRequests in one input.
	MaxRequests int
	// MaxReadBytes bounds the bytes read from referenced files, all of them
	// together.
	MaxReadBytes int64
}

// SeparatorsPerRequest is what MaxSeparators allows a request: a request
// of the examples has about 60 YAML separators.
const SeparatorsPerRequest = 75

// MaxSeparators is the YAML separators a run under l may parse:
// MaxInputSeparators, or SeparatorsPerRequest per request when the
// operator raised MaxRequests above what that holds, so that raising the
// request limit raises what a run may parse (and its memory) with it.
func (l Limits) MaxSeparators() int {
	return max(MaxInputSeparators, l.WithDefaults().MaxRequests*SeparatorsPerRequest)
}

// WithDefaults returns l with its zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxRequests <= 0 {
		l.MaxRequests = DefaultMaxRequests
	}
	if l.MaxReadBytes <= 0 {
		l.MaxReadBytes = DefaultMaxReadBytes
	}
	return l
}

// YAMLSeparators counts the bytes that can start a YAML node (newlines,
// ",", ":", "-", "[", "{"): every node needs one, so the count bounds what
// parsing data can take.
func YAMLSeparators(data []byte) int {
	n := 0
	for _, b := range data {
		switch b {
		case '\n', ',', ':', '-', '[', '{':
			n++
		}
	}
	return n
}

// CheckParseSize refuses data (named what) with more than
// MaxInputSeparators YAML separators, before it is parsed.
func CheckParseSize(what string, data []byte) error {
	return NewParseBudget(Limits{}).Spend(what, data)
}

// ParseBudget is what the documents of one run may hold, all together,
// before they are parsed: Limits.MaxSeparators YAML separators. A run
// keeps what it parsed until it renders, so a bound per file would let
// many files add up.
type ParseBudget struct{ limit, left int }

// NewParseBudget returns the budget of a run under l.
func NewParseBudget(l Limits) *ParseBudget {
	n := l.MaxSeparators()
	return &ParseBudget{limit: n, left: n}
}

// Spend charges data (named what) to the budget, or refuses it when it
// holds more separators than are left.
func (b *ParseBudget) Spend(what string, data []byte) error {
	n := YAMLSeparators(data)
	switch {
	case n > b.limit:
		return fmt.Errorf("%s has %d YAML separators (about as many nodes); the limit is %d, which bounds the memory its parse takes", what, n, b.limit)
	case n > b.left:
		return fmt.Errorf("%s has %d YAML separators (about as many nodes); with the files read before it the run would parse more than %d, the limit that bounds the memory its parse takes", what, n, b.limit)
	}
	b.left -= n
	return nil
}

// ReadAtMost reads r to its end, or to just past limit bytes; too is true
// when r held more than limit bytes (data is then incomplete).
func ReadAtMost(r io.Reader, limit int64) (data []byte, too bool, err error) {
	data, err = io.ReadAll(io.LimitReader(r, limit+1))
	return data, int64(len(data)) > limit, err
}
