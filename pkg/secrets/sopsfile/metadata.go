package sopsfile

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// Metadata is the public part of a file's sops metadata.
type Metadata struct {
	// LastModified is the time of the last encryption; the MAC is sealed
	// with its RFC 3339 form as additional data.
	LastModified time.Time
	// MACOnlyEncrypted: the MAC covers encrypted values only.
	MACOnlyEncrypted bool
	// The selection rules; at most one is set. Without any,
	// UnencryptedSuffix is "_unencrypted", as sops assumes.
	UnencryptedSuffix       string
	EncryptedSuffix         string
	UnencryptedRegex        string
	EncryptedRegex          string
	UnencryptedCommentRegex string
	EncryptedCommentRegex   string
	// ShamirThreshold is the number of key groups needed (with several).
	ShamirThreshold int
	// KeyGroups are the master keys, as public identifiers.
	KeyGroups []KeyGroup
	// Version is the sops version that wrote the file.
	Version string

	mac string
}

// KeyGroup lists the master keys of one key group.
type KeyGroup struct {
	// Age recipients.
	Age []string
	// PGP fingerprints.
	PGP []string
	// Other keys this package cannot use, as "TYPE ID" (for example
	// "kms arn:aws:kms:..." or "hc_vault https://vault/v1/transit/keys/k").
	Other []string
	// Remote are the same keys as Other, as the address or identifier
	// their key service is reached with (for a caller's allowlist).
	Remote []RemoteKey

	age []ageKey
	pgp []pgpKey
}

// RemoteKey is a master key of a network key source.
type RemoteKey struct {
	// Kind is the metadata's name of the source: "kms", "gcp_kms",
	// "hckms", "azure_kv" or "hc_vault".
	Kind string
	// Endpoint is the vault_address (hc_vault) or vault_url (azure_kv).
	Endpoint string
	// ID is the ARN, the GCP resource ID or
	// the HuaweiCloud key_id; for azure_kv and hc_vault, the key's name.
	ID string
	// EnginePath is an hc_vault key's engine_path, Version an azure_kv
	// key's version.
	EnginePath, Version string
	// Role and Profile are a kms key's role and aws_profile.
	Role, Profile string
}

type ageKey struct{ recipient, enc string }

type pgpKey struct {
	fingerprint, enc string
	created          time.Time
}

// Keys returns "TYPE ID" for every master key of the file, sorted.
func (m *Metadata) Keys() []string {
	var ids []string
	for _, g := range m.KeyGroups {
		for _, r := range g.Age {
			ids = append(ids, "age "+r)
		}
		for _, fp := range g.PGP {
			ids = append(ids, "pgp "+fp)
		}
		ids = append(ids, g.Other...)
	}
	sort.Strings(ids)
	return ids
}

// The stored form of the metadata, decoded the way sops decodes it: the
// metadata tree becomes a Go map (comments dropped) and mapstructure fills
// these structs with weakly typed input, so that "2" is a threshold and
// "true" a flag, and a key matches its field case-insensitively.
type rawMetadata struct {
	// The top-level key lists have the same keys as a key group's.
	rawKeyGroup             `mapstructure:",squash"`
	ShamirThreshold         int           `mapstructure:"shamir_threshold"`
	KeyGroups               []rawKeyGroup `mapstructure:"key_groups"`
	LastModified            string        `mapstructure:"lastmodified"`
	MAC                     string        `mapstructure:"mac"`
	UnencryptedSuffix       string        `mapstructure:"unencrypted_suffix"`
	EncryptedSuffix         string        `mapstructure:"encrypted_suffix"`
	UnencryptedRegex        string        `mapstructure:"unencrypted_regex"`
	EncryptedRegex          string        `mapstructure:"encrypted_regex"`
	UnencryptedCommentRegex string        `mapstructure:"unencrypted_comment_regex"`
	EncryptedCommentRegex   string        `mapstructure:"encrypted_comment_regex"`
	MACOnlyEncrypted        bool          `mapstructure:"mac_only_encrypted"`
	Version                 string        `mapstructure:"version"`
}

type rawKeyGroup struct {
	PGP     []rawPGP     `mapstructure:"pgp"`
	KMS     []rawKMS     `mapstructure:"kms"`
	GCPKMS  []rawGCPKMS  `mapstructure:"gcp_kms"`
	HCKMS   []rawHCKMS   `mapstructure:"hckms"`
	AzureKV []rawAzureKV `mapstructure:"azure_kv"`
	Vault   []rawVault   `mapstructure:"hc_vault"`
	Age     []rawAge     `mapstructure:"age"`
}

type rawPGP struct {
	CreatedAt string `mapstructure:"created_at"`
	Enc       string `mapstructure:"enc"`
	FP        string `mapstructure:"fp"`
}

type rawKMS struct {
	ARN        string             `mapstructure:"arn"`
	Role       string             `mapstructure:"role"`
	Context    map[string]*string `mapstructure:"context"`
	CreatedAt  string             `mapstructure:"created_at"`
	Enc        string             `mapstructure:"enc"`
	AWSProfile string             `mapstructure:"aws_profile"`
}

type rawGCPKMS struct {
	ResourceID string `mapstructure:"resource_id"`
	CreatedAt  string `mapstructure:"created_at"`
	Enc        string `mapstructure:"enc"`
}

type rawHCKMS struct {
	KeyID     string `mapstructure:"key_id"`
	CreatedAt string `mapstructure:"created_at"`
	Enc       string `mapstructure:"enc"`
}

type rawAzureKV struct {
	VaultURL  string `mapstructure:"vault_url"`
	Name      string `mapstructure:"name"`
	Version   string `mapstructure:"version"`
	CreatedAt string `mapstructure:"created_at"`
	Enc       string `mapstructure:"enc"`
}

type rawVault struct {
	VaultAddress string `mapstructure:"vault_address"`
	EnginePath   string `mapstructure:"engine_path"`
	KeyName      string `mapstructure:"key_name"`
	CreatedAt    string `mapstructure:"created_at"`
	Enc          string `mapstructure:"enc"`
}

type rawAge struct {
	Recipient string `mapstructure:"recipient"`
	Enc       string `mapstructure:"enc"`
}

// toGo turns a metadata subtree into the plain Go values mapstructure reads.
func toGo(v any) (any, error) {
	switch x := v.(type) {
	case Mapping:
		m := make(map[string]any, len(x))
		for _, it := range x {
			if it.Comment != nil {
				continue
			}
			gv, err := toGo(it.Value)
			if err != nil {
				return nil, err
			}
			m[it.Key] = gv
		}
		return m, nil
	case List:
		out := make([]any, 0, len(x))
		for _, item := range x {
			if _, ok := item.(Comment); ok {
				continue
			}
			gv, err := toGo(item)
			if err != nil {
				return nil, err
			}
			out = append(out, gv)
		}
		return out, nil
	default:
		return v, nil
	}
}

// decodeMetadata reads a metadata mapping (already unflattened).
func decodeMetadata(tree Mapping) (*Metadata, error) {
	goTree, err := toGo(tree)
	if err != nil {
		return nil, err
	}
	var raw rawMetadata
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &raw, WeaklyTypedInput: true})
	if err != nil {
		return nil, errorf(ErrMalformed, "sops metadata cannot be decoded")
	}
	if err := dec.Decode(goTree); err != nil {
		return nil, errorf(ErrMalformed, "sops metadata has a field of the wrong type")
	}
	return raw.toMetadata()
}

func (raw *rawMetadata) toMetadata() (*Metadata, error) {
	lastModified, err := time.Parse(time.RFC3339, raw.LastModified)
	if err != nil {
		return nil, errorf(ErrMalformed, "sops metadata: lastmodified is not an RFC 3339 time")
	}
	m := &Metadata{
		LastModified:            lastModified,
		MACOnlyEncrypted:        raw.MACOnlyEncrypted,
		UnencryptedSuffix:       raw.UnencryptedSuffix,
		EncryptedSuffix:         raw.EncryptedSuffix,
		UnencryptedRegex:        raw.UnencryptedRegex,
		EncryptedRegex:          raw.EncryptedRegex,
		UnencryptedCommentRegex: raw.UnencryptedCommentRegex,
		EncryptedCommentRegex:   raw.EncryptedCommentRegex,
		ShamirThreshold:         raw.ShamirThreshold,
		Version:                 raw.Version,
		mac:                     raw.MAC,
	}
	// As sops: the top-level key lists, if any, are the one group;
	// key_groups is read only without them.
	top := raw.rawKeyGroup
	switch {
	case top.count() > 0:
		g, err := top.toGroup()
		if err != nil {
			return nil, err
		}
		m.KeyGroups = []KeyGroup{g}
	case len(raw.KeyGroups) > 0:
		for i := range raw.KeyGroups {
			g, err := raw.KeyGroups[i].toGroup()
			if err != nil {
				return nil, err
			}
			m.KeyGroups = append(m.KeyGroups, g)
		}
	default:
		return nil, errorf(ErrMalformed, "sops metadata lists no keys")
	}
	n := 0
	for _, g := range m.KeyGroups {
		n += len(g.Age) + len(g.PGP) + len(g.Other)
	}
	if err := CheckKeyCount(n); err != nil {
		return nil, err
	}
	rules := 0
	for _, r := range []string{m.UnencryptedSuffix, m.EncryptedSuffix, m.UnencryptedRegex, m.EncryptedRegex, m.UnencryptedCommentRegex, m.EncryptedCommentRegex} {
		if r != "" {
			rules++
		}
	}
	if rules > 1 {
		return nil, &Error{Kind: ErrMalformed, Detail: "sops metadata sets more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex", Keys: m.Keys()}
	}
	if rules == 0 {
		m.UnencryptedSuffix = "_unencrypted"
	}
	return m, nil
}

func (g *rawKeyGroup) count() int {
	return len(g.PGP) + len(g.KMS) + len(g.GCPKMS) + len(g.HCKMS) + len(g.AzureKV) + len(g.Vault) + len(g.Age)
}

// toGroup validates a group as sops does when loading (creation dates must
// parse, HuaweiCloud key IDs must read region:uuid) and keeps what age and
// PGP need.
func (g *rawKeyGroup) toGroup() (KeyGroup, error) {
	var out KeyGroup
	created := func(kind, s string) error {
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return errorf(ErrMalformed, "sops metadata: a %s key's created_at is not an RFC 3339 time", kind)
		}
		return nil
	}
	for _, k := range g.KMS {
		if err := created("kms", k.CreatedAt); err != nil {
			return out, err
		}
		id := k.ARN
		if k.Role != "" {
			id += "+" + k.Role
		}
		out.Other = append(out.Other, "kms "+id)
		out.Remote = append(out.Remote, RemoteKey{Kind: "kms", ID: k.ARN, Role: k.Role, Profile: k.AWSProfile})
	}
	for _, k := range g.GCPKMS {
		if err := created("gcp_kms", k.CreatedAt); err != nil {
			return out, err
		}
		out.Other = append(out.Other, "gcp_kms "+k.ResourceID)
		out.Remote = append(out.Remote, RemoteKey{Kind: "gcp_kms", ID: k.ResourceID})
	}
	for _, k := range g.HCKMS {
		if err := created("hckms", k.CreatedAt); err != nil {
			return out, err
		}
		region, uuid, ok := strings.Cut(strings.TrimSpace(k.KeyID), ":")
		if !ok || strings.TrimSpace(region) == "" || strings.TrimSpace(uuid) == "" {
			return out, errorf(ErrMalformed, "sops metadata: an hckms key_id is not region:key-uuid")
		}
		out.Other = append(out.Other, "hckms "+k.KeyID)
		out.Remote = append(out.Remote, RemoteKey{Kind: "hckms", ID: k.KeyID})
	}
	for _, k := range g.AzureKV {
		if err := created("azure_kv", k.CreatedAt); err != nil {
			return out, err
		}
		out.Other = append(out.Other, fmt.Sprintf("azure_kv %s/keys/%s/%s", diag.RedactURL(k.VaultURL), k.Name, k.Version))
		out.Remote = append(out.Remote, RemoteKey{Kind: "azure_kv", Endpoint: k.VaultURL, ID: k.Name, Version: k.Version})
	}
	for _, k := range g.Vault {
		if err := created("hc_vault", k.CreatedAt); err != nil {
			return out, err
		}
		out.Other = append(out.Other, fmt.Sprintf("hc_vault %s/v1/%s/keys/%s", diag.RedactURL(k.VaultAddress), k.EnginePath, k.KeyName))
		out.Remote = append(out.Remote, RemoteKey{Kind: "hc_vault", Endpoint: k.VaultAddress, ID: k.KeyName, EnginePath: k.EnginePath})
	}
	for _, k := range g.PGP {
		t, err := time.Parse(time.RFC3339, k.CreatedAt)
		if err != nil {
			return out, errorf(ErrMalformed, "sops metadata: a pgp key's created_at is not an RFC 3339 time")
		}
		out.PGP = append(out.PGP, k.FP)
		out.pgp = append(out.pgp, pgpKey{fingerprint: k.FP, enc: k.Enc, created: t})
	}
	for _, k := range g.Age {
		out.Age = append(out.Age, k.Recipient)
		out.age = append(out.age, ageKey{recipient: k.Recipient, enc: k.Enc})
	}
	return out, nil
}

// extractMetadata removes the metadata from the branches and decodes it.
// YAML, JSON and binary files keep it under a top-level "sops" key; INI
// files in a [sops] section of flattened keys; dotenv files as flattened
// "sops_" variables.
func extractMetadata(branches []Mapping, format Format) ([]Mapping, *Metadata, error) {
	var tree Mapping
	switch format {
	case Dotenv:
		if len(branches) > 0 {
			kept := branches[0][:0:0]
			for _, it := range branches[0] {
				if it.Comment == nil && strings.HasPrefix(it.Key, "sops_") {
					tree = append(tree, Item{Key: it.Key[len("sops_"):], Value: it.Value})
					continue
				}
				kept = append(kept, it)
			}
			branches[0] = kept
		}
	default:
		seen := false
		for bi, branch := range branches {
			kept := branch[:0:0]
			for _, it := range branch {
				if it.Comment != nil || it.Key != "sops" {
					kept = append(kept, it)
					continue
				}
				// Only the first document's entry is the metadata; sops
				// drops the entries of later documents.
				if bi == 0 {
					if seen {
						return nil, nil, errorf(ErrMalformed, "the file has more than one sops entry")
					}
					seen = true
					m, ok := it.Value.(Mapping)
					if !ok {
						return nil, nil, errorf(ErrMalformed, "the sops entry is not a mapping")
					}
					// A nil mapping (an empty JSON object or INI
					// section) counts as no metadata, as in sops.
					tree = m
				}
			}
			branches[bi] = kept
		}
	}
	if tree == nil {
		return nil, nil, &Error{Kind: ErrNotEncrypted, Detail: "no sops metadata found"}
	}
	if format == Dotenv || format == INI {
		if format == INI {
			escaped := make(Mapping, len(tree))
			for i, it := range tree {
				if s, ok := it.Value.(string); ok {
					it.Value = strings.ReplaceAll(s, "\\n", "\n")
				}
				escaped[i] = it
			}
			tree = escaped
		}
		var err error
		if tree, err = unflatten(tree); err != nil {
			return nil, nil, err
		}
	}
	md, err := decodeMetadata(tree)
	if err != nil {
		return nil, nil, err
	}
	return branches, md, nil
}

// Flattened metadata keys: "age__list_0__map_enc" is age[0].enc.
const (
	mapSep  = "__map_"
	listSep = "__list_"
)

type flatNode struct {
	value    *any
	children map[string]*flatNode
	indices  map[int]*flatNode
}

// unflatten rebuilds the nested metadata from flattened keys, refusing
// the same inconsistencies as sops (a value set twice, a key that is both a
// value and a parent, a list with holes).
func unflatten(flat Mapping) (Mapping, error) {
	root := &flatNode{}
	for i := range flat {
		it := flat[i]
		if it.Comment != nil {
			continue
		}
		n := root
		for _, tok := range tokenizeFlat(it.Key) {
			var next *flatNode
			if tok.isList {
				if n.indices == nil {
					n.indices = map[int]*flatNode{}
				}
				if next = n.indices[tok.index]; next == nil {
					next = &flatNode{}
					n.indices[tok.index] = next
				}
			} else {
				if n.children == nil {
					n.children = map[string]*flatNode{}
				}
				if next = n.children[tok.key]; next == nil {
					next = &flatNode{}
					n.children[tok.key] = next
				}
			}
			n = next
		}
		if n.value != nil {
			return nil, errorf(ErrMalformed, "sops metadata: key %q is set twice", it.Key)
		}
		v := it.Value
		n.value = &v
	}
	out, err := root.build()
	if err != nil {
		return nil, err
	}
	m, ok := out.(Mapping)
	if !ok {
		return nil, errorf(ErrMalformed, "sops metadata is not a mapping")
	}
	return m, nil
}

type flatToken struct {
	isList bool
	key    string
	index  int
}

// tokenizeFlat splits a flattened key at its separators. As in sops, a list
// index that is not a number counts as 0.
func tokenizeFlat(path string) []flatToken {
	var toks []flatToken
	start, i := 0, 0
	kind := 0 // 0: plain start, 1: after mapSep, 2: after listSep
	finish := func() {
		switch kind {
		case 0:
			toks = append(toks, flatToken{key: path[start:i]})
		case 1:
			toks = append(toks, flatToken{key: path[start+len(mapSep) : i]})
		case 2:
			n, _ := strconv.Atoi(path[start+len(listSep) : i])
			toks = append(toks, flatToken{isList: true, index: n})
		}
		start = i
	}
	for i < len(path) {
		switch {
		case strings.HasPrefix(path[i:], mapSep):
			finish()
			kind = 1
			i += len(mapSep)
		case strings.HasPrefix(path[i:], listSep):
			finish()
			kind = 2
			i += len(listSep)
		default:
			i++
		}
	}
	finish()
	return toks
}

func (n *flatNode) build() (any, error) {
	kinds := 0
	if n.value != nil {
		kinds++
	}
	if len(n.children) > 0 {
		kinds++
	}
	if len(n.indices) > 0 {
		kinds++
	}
	switch {
	case kinds > 1:
		return nil, errorf(ErrMalformed, "sops metadata: a flattened key is both a value and a parent")
	case n.value != nil:
		return *n.value, nil
	case len(n.children) > 0:
		keys := make([]string, 0, len(n.children))
		for k := range n.children {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := make(Mapping, len(keys))
		for i, k := range keys {
			v, err := n.children[k].build()
			if err != nil {
				return nil, err
			}
			m[i] = Item{Key: k, Value: v}
		}
		return m, nil
	case len(n.indices) > 0:
		lo, hi := math.MaxInt, math.MinInt
		for k := range n.indices {
			lo, hi = min(lo, k), max(hi, k)
		}
		if lo != 0 || hi+1 != len(n.indices) {
			return nil, errorf(ErrMalformed, "sops metadata: a flattened list has gaps")
		}
		l := make(List, hi+1)
		for k, child := range n.indices {
			v, err := child.build()
			if err != nil {
				return nil, err
			}
			l[k] = v
		}
		return l, nil
	default:
		return Mapping{}, nil
	}
}
