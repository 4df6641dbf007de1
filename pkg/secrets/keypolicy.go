package secrets

import (
	"fmt"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// AllowKeyEndpointsEnv is the environment variable that holds the operator's
// allowlist of network key sources (see ParseKeyPolicy for its syntax). The
// matching flag is --allow-key-endpoint.
const AllowKeyEndpointsEnv = "CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS"

// The kinds of network key source, named as sops names them in a file's
// metadata; each is also the KIND of an allowlist entry.
const (
	KindVault      = "hc_vault"    // HashiCorp Vault transit: a Vault address
	KindAzureKV    = "azure_kv"    // Azure Key Vault: a vault URL
	KindAWSKMS     = "kms"         // AWS KMS: a key ARN, "+ROLE" when a role is assumed
	KindAWSProfile = "aws_profile" // an AWS profile a file's kms key names
	KindGCPKMS     = "gcp_kms"     // GCP KMS: a key resource ID
	KindHCKMS      = "hckms"       // HuaweiCloud KMS: REGION:KEY-ID
	// KindAgePlugin is an age plugin recipient (age1NAME1...): encrypting
	// to it runs the program age-plugin-NAME. Decryption runs only the
	// plugins of the operator's own identities, so it needs no entry.
	KindAgePlugin = "age_plugin"
)

// KeyPolicy says which network key sources the renderer may contact. age and
// PGP keys are local and always usable; every other master key of a SOPS
// file (Vault transit, Azure Key Vault, AWS, GCP and HuaweiCloud KMS) is
// used only when an entry allows it, and so is encryption to an age plugin
// recipient (which runs a program). The zero KeyPolicy allows none: a file
// can then only be decrypted with its age or PGP keys, and nothing is
// encrypted to a network key or a plugin. The policy comes from the operator (the
// renderer's environment and flags), never from the repository.
//
// A KeyPolicy is immutable and safe for concurrent use.
type KeyPolicy struct {
	rules []keyRule
	// entries are the entries the rules were parsed from (Entries).
	entries []string
}

type keyRule struct {
	kind string
	// endpoint is the normalized scheme://host:port of a URL kind.
	endpoint string
	// engine and name, when set, scope a URL kind's rule to some keys at
	// endpoint: a Vault key's engine path and name, a Key Vault key's
	// name. A rule without them allows every key at endpoint.
	engine, name *regexp.Regexp
	// glob matches the whole identifier of a pattern kind (for kms: the
	// ARN), and role a kms key's role; a kms rule without a role allows
	// only keys without one.
	glob, role *regexp.Regexp
}

// kindName is what a KIND looks like; anything else is not echoed back.
var kindName = regexp.MustCompile(`^[a-z_]{1,20}$`)

// globOf compiles a pattern where "*" stands for any run of characters.
func globOf(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "*")
	for i, part := range parts {
		parts[i] = regexp.QuoteMeta(part)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
}

// ParseKeyPolicy reads allowlist entries. Each spec holds entries separated
// by commas or white space; an entry is KIND=VALUE:
//
//	hc_vault=https://vault.example.com:8200   every key of a Vault
//	hc_vault=https://vault.example.com:8200/v1/transit/keys/team-a-*
//	azure_kv=https://team.vault.azure.net     every key of a Key Vault
//	azure_kv=https://team.vault.azure.net/keys/team-a
//	kms=arn:aws:kms:eu-west-1:111122223333:key/*
//	kms=arn:aws:kms:...:key/ID+arn:aws:iam::111122223333:role/sops
//	aws_profile=dr                            an AWS profile a kms key may name
//	gcp_kms=projects/p/locations/global/keyRings/r/cryptoKeys/*
//	hckms=eu-west-101:*
//	age_plugin=yubikey                        encrypting to age1yubikey1...
//
// A URL value is a scheme (http or https), a host and an optional port
// (default 443 or 80), without user, query or fragment; a key is allowed
// when its address has the same scheme, host and port. Without a path, that
// is every key at the address: tenants given the same such entry can read
// each other's files, since the renderer has one Vault token or cloud
// identity. A path scopes the entry to some keys, in the notation of the
// sops key URIs: /v1/ENGINE/keys/NAME for hc_vault (matched against the
// key's engine_path and key_name), /keys/NAME for azure_kv (against the
// key's name), where "*" in ENGINE or NAME stands for any run of
// characters. A scoped entry allows only keys whose address has no path,
// query or user, and whose engine path, name and version have the shape
// Vault and Key Vault give them (engineSegment, azureKeyName, azureVersion),
// so that a "*" cannot stretch over a separator the client resolves. Other values
// are patterns matched against the whole identifier, where "*" stands for
// any run of characters. A kms entry ARN_PATTERN+ROLE_PATTERN (the sops
// notation) allows keys that assume a matching role; one without "+" allows
// only keys that assume none. A kms key that names an aws_profile also
// needs an aws_profile entry matching it: the repository does not choose
// among the renderer's credentials.
func ParseKeyPolicy(specs ...string) (KeyPolicy, error) {
	var p KeyPolicy
	for _, spec := range specs {
		for _, entry := range strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
			rule, err := parseKeyRule(entry)
			if err != nil {
				return KeyPolicy{}, err
			}
			p.rules = append(p.rules, rule)
			p.entries = append(p.entries, entry)
		}
	}
	return p, nil
}

// Entries returns the entries the policy was parsed from: ParseKeyPolicy of
// them is the same policy.
func (p KeyPolicy) Entries() []string { return p.entries }

// KeyPolicyFromEnv returns the policy of $CLUSTERPAIR_FN_ALLOW_KEY_ENDPOINTS
// (read with getenv) together with the entries given as flags.
func KeyPolicyFromEnv(getenv func(string) string, flags []string) (KeyPolicy, error) {
	p, err := ParseKeyPolicy(append([]string{getenv(AllowKeyEndpointsEnv)}, flags...)...)
	if err != nil {
		return KeyPolicy{}, fmt.Errorf("%s / --allow-key-endpoint: %w", AllowKeyEndpointsEnv, err)
	}
	return p, nil
}

func parseKeyRule(entry string) (keyRule, error) {
	kind, value, ok := strings.Cut(entry, "=")
	if !ok || value == "" || !kindName.MatchString(kind) {
		return keyRule{}, fmt.Errorf("an entry is not KIND=VALUE (KIND: hc_vault, azure_kv, kms, aws_profile, gcp_kms, hckms or age_plugin)")
	}
	rule := keyRule{kind: kind}
	switch kind {
	case KindVault, KindAzureKV:
		endpoint, engine, name, err := parseURLEntry(kind, value)
		if err != nil {
			return keyRule{}, err
		}
		rule.endpoint, rule.engine, rule.name = endpoint, engine, name
	case KindAWSKMS:
		// The ARN and the role are matched each by its own pattern, so
		// that "key/*" does not stretch over "+ROLE".
		arn, role, hasRole := strings.Cut(value, "+")
		rule.glob = globOf(arn)
		if hasRole {
			rule.role = globOf(role)
		}
	case KindAWSProfile, KindGCPKMS, KindHCKMS, KindAgePlugin:
		rule.glob = globOf(value)
	default:
		return keyRule{}, fmt.Errorf("unknown kind %q in an entry (hc_vault, azure_kv, kms, aws_profile, gcp_kms, hckms or age_plugin)", kind)
	}
	return rule, nil
}

// The shapes of an entry's and a key's Vault and Key Vault paths. A Vault
// engine path is segments of engineSegment (a Vault Enterprise namespace
// is part of it) and a transit key name is one (Vault's own name syntax
// is stricter); a Key Vault key name is 1-127 letters, digits and dashes,
// its version letters and digits. "." and ".." are never a segment: the
// Vault client joins the path with path.Join, which would resolve them.
var (
	engineSegment = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)
	azureKeyName  = regexp.MustCompile(`^[A-Za-z0-9-]{1,127}$`)
	azureVersion  = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	// In an entry, "*" may stand in any segment.
	entrySegment   = regexp.MustCompile(`^[A-Za-z0-9_.@*-]+$`)
	entryAzureName = regexp.MustCompile(`^[A-Za-z0-9*-]{1,127}$`)
	vaultEntryPath = regexp.MustCompile(`^/v1/(.+)/keys/([^/]+)$`)
	azureEntryPath = regexp.MustCompile(`^/keys/([^/]+)$`)
)

// segments reports whether p is one or more "/"-separated segments, each
// matching seg and none "." or "..".
func segments(p string, seg *regexp.Regexp) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." || !seg.MatchString(s) {
			return false
		}
	}
	return true
}

// oneSegment reports whether name is a single engineSegment, not "." or "..".
func oneSegment(name string) bool {
	return !strings.Contains(name, "/") && segments(name, engineSegment)
}

// parseURLEntry reads an hc_vault or azure_kv entry's value: the
// normalized scheme://host:port, and for a scoped entry the patterns of
// the engine path (hc_vault) and of the key name.
func parseURLEntry(kind, value string) (endpoint string, engine, name *regexp.Regexp, err error) {
	shape := "scheme://host[:port] or scheme://host[:port]/v1/ENGINE/keys/NAME"
	if kind == KindAzureKV {
		shape = "scheme://host[:port] or scheme://host[:port]/keys/NAME"
	}
	u, perr := url.Parse(value)
	if perr != nil || u.Host == "" || u.Opaque != "" {
		return "", nil, nil, fmt.Errorf("%s entry: %s is not a URL %s", kind, diag.RedactURL(value), shape)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.ContainsAny(value, "?#") {
		return "", nil, nil, fmt.Errorf("%s entry: give only %s (%s), without user, path, query or fragment beyond those", kind, shape, diag.RedactURL(value))
	}
	bare := *u
	bare.Path, bare.RawPath = "", ""
	endpoint, ok := normalEndpoint(bare.String())
	if !ok {
		return "", nil, nil, fmt.Errorf("%s entry: %s must use http or https", kind, diag.RedactURL(value))
	}
	if u.Path == "" || u.Path == "/" {
		return endpoint, nil, nil, nil
	}
	// The path is compared as the clients read it: escapes (which sops
	// and the Vault client decode differently) are refused.
	badPath := fmt.Errorf("%s entry: the path of %s is not %s, or holds characters other than letters, digits and . _ - @ *", kind, diag.RedactURL(value), strings.TrimPrefix(shape, "scheme://host[:port] or scheme://host[:port]"))
	if strings.Contains(value, "%") {
		return "", nil, nil, badPath
	}
	switch kind {
	case KindVault:
		m := vaultEntryPath.FindStringSubmatch(u.Path)
		if m == nil || !segments(m[1], entrySegment) || !segments(m[2], entrySegment) {
			return "", nil, nil, badPath
		}
		return endpoint, globOf(m[1]), globOf(m[2]), nil
	default:
		m := azureEntryPath.FindStringSubmatch(u.Path)
		if m == nil || !entryAzureName.MatchString(m[1]) {
			return "", nil, nil, badPath
		}
		return endpoint, nil, globOf(m[1]), nil
	}
}

// scopeAllows reports whether a URL kind's rule, whose endpoint matches
// k's, allows k: always for a rule without a path; for a scoped one only
// when k's address is scheme://host[:port] alone (the Vault and Key Vault
// clients put an address's path before the key's) and its engine path,
// name and version have their shapes and match.
func (r keyRule) scopeAllows(k RemoteKey) bool {
	if r.name == nil {
		return true
	}
	if !bareAddress(k.Endpoint) {
		return false
	}
	switch k.Kind {
	case KindVault:
		return r.engine != nil && k.Version == "" &&
			segments(k.EnginePath, engineSegment) && r.engine.MatchString(k.EnginePath) &&
			oneSegment(k.ID) && r.name.MatchString(k.ID)
	case KindAzureKV:
		return r.engine == nil && k.EnginePath == "" &&
			azureKeyName.MatchString(k.ID) && azureVersion.MatchString(k.Version) && r.name.MatchString(k.ID)
	}
	return false
}

// bareAddress reports whether raw is an absolute URL with nothing but a
// scheme, a host, a port and at most a "/" path.
func bareAddress(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && raw == strings.TrimSpace(raw) && u.Host != "" && u.Opaque == "" && u.User == nil &&
		(u.Path == "" || u.Path == "/") && u.RawPath == "" && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery
}

// Allows reports whether the policy allows the key.
func (p KeyPolicy) Allows(k RemoteKey) bool {
	if k.Kind == KindAWSKMS && k.Profile != "" && !p.matches(KindAWSProfile, k.Profile) {
		return false
	}
	switch k.Kind {
	case KindVault, KindAzureKV:
		endpoint, ok := normalEndpoint(k.Endpoint)
		if !ok {
			return false
		}
		for _, r := range p.rules {
			if r.kind == k.Kind && r.endpoint == endpoint && r.scopeAllows(k) {
				return true
			}
		}
		return false
	case KindAWSKMS:
		if _, ok := k.id(); !ok {
			return false
		}
		for _, r := range p.rules {
			if r.kind != KindAWSKMS || !r.glob.MatchString(k.ID) {
				continue
			}
			if (k.Role == "" && r.role == nil) || (k.Role != "" && r.role != nil && r.role.MatchString(k.Role)) {
				return true
			}
		}
		return false
	case KindGCPKMS, KindHCKMS, KindAgePlugin:
		id, ok := k.id()
		return ok && p.matches(k.Kind, id)
	default:
		return false
	}
}

func (p KeyPolicy) matches(kind, id string) bool {
	for _, r := range p.rules {
		if r.kind == kind && r.glob != nil && r.glob.MatchString(id) {
			return true
		}
	}
	return false
}

// Check returns nil when the policy allows every key, and otherwise an
// error (ReasonKeyNotAllowed) naming what names them and each key that is not
// allowed. what is the file (decryption) or the recipients (encryption).
func (p KeyPolicy) Check(what string, keys []RemoteKey) *Error {
	denied := p.Denied(keys)
	if len(denied) == 0 {
		return nil
	}
	return NotAllowedError(what, denied)
}

// Denied returns the keys the policy does not allow, without duplicates.
func (p KeyPolicy) Denied(keys []RemoteKey) []RemoteKey {
	var out []RemoteKey
	seen := map[string]bool{}
	for _, k := range keys {
		if p.Allows(k) || seen[k.String()] {
			continue
		}
		seen[k.String()] = true
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// PolicyOf returns the KeyPolicy of a decryptor that has one (a
// KeyPolicy() method), and otherwise the zero policy, which allows no
// network key source. The function encrypts its output under its
// decryptor's policy.
func PolicyOf(d Decryptor) KeyPolicy {
	if p, ok := d.(interface{ KeyPolicy() KeyPolicy }); ok {
		return p.KeyPolicy()
	}
	return KeyPolicy{}
}
