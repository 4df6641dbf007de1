package secrets

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"
)

// normalEndpoint returns scheme://host:port of an http(s) URL, lower-cased
// and with the scheme's default port, parsed as the key sources' clients
// parse it (net/url); ok is false for any other URL.
func normalEndpoint(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	switch {
	case scheme != "http" && scheme != "https":
		return "", false
	case port == "" && scheme == "https":
		port = "443"
	case port == "":
		port = "80"
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", false
	}
	return scheme + "://" + net.JoinHostPort(host, port), true
}

// RemoteKey is a master key of a network key source, as a file's metadata
// or an encryption's recipients name it.
type RemoteKey struct {
	// Kind is the source: KindVault, KindAzureKV, KindAWSKMS, KindGCPKMS,
	// KindHCKMS, or another sops identifier (never allowed).
	Kind string
	// Endpoint is the address contacted, for KindVault and KindAzureKV.
	Endpoint string
	// ID is the key's identifier for the pattern kinds: the ARN, the
	// resource ID, REGION:KEY-ID; for KindVault and KindAzureKV, the key's
	// name (key_name, name).
	ID string
	// EnginePath is a Vault key's transit engine path (engine_path), and
	// Version a Key Vault key's version, as sops reads them.
	EnginePath, Version string
	// Role and Profile are the role a kms key assumes and the AWS profile
	// it names, if any.
	Role, Profile string
}

// The shapes of the identifiers a pattern may match. A key of another
// shape is never allowed, so that "*" cannot stretch over a separator the
// key source's client reads an endpoint or region from.
var (
	kmsARN   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/[A-Za-z0-9/_-]+$`)
	iamRole  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$`)
	gcpKey   = regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$`)
	hckmsKey = regexp.MustCompile(`^[a-z0-9-]+:[A-Za-z0-9-]+$`)
)

// id is the identifier the pattern kinds match: the ARN with "+ROLE" when
// a role is set (the sops notation), the resource ID, REGION:KEY-ID; ok is
// false for an identifier of the wrong shape.
func (k RemoteKey) id() (string, bool) {
	switch k.Kind {
	case KindAWSKMS:
		if !kmsARN.MatchString(k.ID) {
			return "", false
		}
		if k.Role == "" {
			return k.ID, true
		}
		return k.ID + "+" + k.Role, iamRole.MatchString(k.Role)
	case KindGCPKMS:
		return k.ID, gcpKey.MatchString(k.ID)
	case KindHCKMS:
		return k.ID, hckmsKey.MatchString(k.ID)
	case KindAgePlugin:
		return k.ID, pluginName.MatchString(k.ID)
	}
	return "", false
}

// pluginName is what an age plugin's name looks like.
var pluginName = regexp.MustCompile(`^[a-z0-9._+-]+$`)

// AgePluginRecipient returns the plugin an age recipient names, as sops
// recognizes one ("age1NAME1DATA", not a post-quantum "age1pq1..." key);
// ok is false for a plain age or SSH recipient. Encrypting to a plugin
// recipient runs its program, so the KeyPolicy must allow it (KindAgePlugin).
func AgePluginRecipient(recipient string) (RemoteKey, bool) {
	if !strings.HasPrefix(recipient, "age1") || strings.HasPrefix(recipient, "age1pq1") || strings.Count(recipient, "1") < 2 {
		return RemoteKey{}, false
	}
	return RemoteKey{Kind: KindAgePlugin, ID: recipient[len("age1"):strings.LastIndex(recipient, "1")]}, true
}

// String describes the key without any URL path, query or credential:
// "hc_vault https://vault:8200 key NAME", "kms ARN", "kms ARN (aws_profile dr)".
func (k RemoteKey) String() string {
	if k.Kind == KindVault || k.Kind == KindAzureKV {
		if k.ID != "" {
			return fmt.Sprintf("%s %s key %s", k.Kind, diag.RedactURL(k.Endpoint), k.ID)
		}
		return k.Kind + " " + diag.RedactURL(k.Endpoint)
	}
	id := k.ID
	if k.Role != "" {
		id += "+" + k.Role
	}
	if k.Profile != "" {
		return fmt.Sprintf("%s %s (aws_profile %s)", k.Kind, id, k.Profile)
	}
	return k.Kind + " " + id
}

// NotAllowedError is the ReasonKeyNotAllowed failure: it names the file (or
// the recipients) and every key source the operator has not allowed, and
// how to allow one.
func NotAllowedError(file string, denied []RemoteKey) *Error {
	names := make([]string, len(denied))
	hints := make([]string, 0, len(denied))
	for i, k := range denied {
		names[i] = k.String()
		if h := k.allowHint(); h != "" {
			hints = append(hints, h)
		}
	}
	detail := fmt.Sprintf("its keys need key services the renderer's operator has not allowed: %s; nothing was contacted. Decrypt it with an age or PGP key of the file", strings.Join(names, ", "))
	if len(hints) > 0 {
		detail += fmt.Sprintf(", or, if the operator trusts that service with the renderer's credentials, allow it with %s=%s or --allow-key-endpoint", AllowKeyEndpointsEnv, strings.Join(hints, ","))
	}
	return NewError(file, ReasonKeyNotAllowed, "%s", detail)
}

// allowHint is the allowlist entry that would allow k: for a Vault or Key
// Vault key of the usual shape, the entry for that key alone (an entry for
// the whole address would let every tenant given it use every key there).
func (k RemoteKey) allowHint() string {
	switch k.Kind {
	case KindVault, KindAzureKV:
		e, ok := normalEndpoint(k.Endpoint)
		if !ok {
			return ""
		}
		scoped := keyRule{kind: k.Kind, name: globOf(k.ID)}
		path := "/keys/" + k.ID
		if k.Kind == KindVault {
			scoped.engine = globOf(k.EnginePath)
			path = "/v1/" + k.EnginePath + path
		}
		if !scoped.scopeAllows(k) {
			return k.Kind + "=" + e
		}
		return k.Kind + "=" + e + path
	}
	id, ok := k.id()
	switch {
	case !ok:
		return ""
	case k.Profile != "":
		return k.Kind + "=" + id + "," + KindAWSProfile + "=" + k.Profile
	default:
		return k.Kind + "=" + id
	}
}

// remoteKeys returns the group's network keys.
func (g KeyGroup) remoteKeys() []RemoteKey {
	var out []RemoteKey
	for _, r := range g.Age {
		if k, ok := AgePluginRecipient(r); ok {
			out = append(out, k)
		}
	}
	for _, k := range g.AWSKMS {
		out = append(out, RemoteKey{Kind: KindAWSKMS, ID: k.ARN, Role: k.Role, Profile: k.Profile})
	}
	for _, id := range g.GCPKMS {
		out = append(out, RemoteKey{Kind: KindGCPKMS, ID: id})
	}
	for _, u := range g.AzureKeyVault {
		out = append(out, azureKeyOfURL(u))
	}
	for _, u := range g.HCVaultTransit {
		out = append(out, vaultKeyOfURI(u))
	}
	return out
}

// azureKeyURL is how sops (azkv.NewMasterKeyFromURL) reads a Key Vault key
// URL: vault URL, key name, optional version.
var azureKeyURL = regexp.MustCompile("^(https://[^/]+)/keys/([^/]+)(/[^/]*)?$")

// azureKeyOfURL describes a Key Vault key URL as sops parses it. One sops
// does not parse, or with a query, fragment or user (which sops would take
// into the name, and which may hold a credential), keeps the URL as its
// address, which a scoped entry never allows.
func azureKeyOfURL(raw string) RemoteKey {
	m := azureKeyURL.FindStringSubmatch(strings.TrimSpace(raw))
	if m == nil || strings.ContainsAny(raw, "?#@") {
		return RemoteKey{Kind: KindAzureKV, Endpoint: raw}
	}
	return RemoteKey{Kind: KindAzureKV, Endpoint: m[1], ID: m[2], Version: strings.TrimPrefix(m[3], "/")}
}

// The paths sops (hcvault.NewMasterKeyFromURI) refuses in a Vault key URI.
var (
	vaultPrefixedPath = regexp.MustCompile(`/[^/]+/v[\d]+/[^/]+/[^/]+/[^/]+`)
	vaultKeyPath      = regexp.MustCompile(`/v[\d]+/[^/]+/[^/]+/[^/]+`)
)

// vaultKeyOfURI describes a Vault transit key URI as sops parses it: the
// address is the URI without its path, the key name its last segment, the
// engine path the segments between the first and the second-to-last. A
// URI sops does not parse, or with a query, fragment or user (which may
// hold a credential), keeps the URI as its address, which a scoped entry
// never allows.
func vaultKeyOfURI(raw string) RemoteKey {
	unparsed := RemoteKey{Kind: KindVault, Endpoint: raw}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#") {
		return unparsed
	}
	full := u.RequestURI()
	if vaultPrefixedPath.MatchString(full) || !vaultKeyPath.MatchString(full) {
		return unparsed
	}
	dirs := strings.Split(strings.Trim(full, "/"), "/")
	u.Path = ""
	return RemoteKey{Kind: KindVault, Endpoint: u.String(), EnginePath: path.Join(dirs[1 : len(dirs)-2]...), ID: dirs[len(dirs)-1]}
}

// CheckRecipients refuses encryption options with a network key (or an
// age plugin recipient) the policy does not allow, before any key is
// contacted. Every Encryptor calls it first, the lean one included, so that
// nothing is handed over toward a key source that is not allowed.
//
// It also refuses more than sopsfile.MaxMasterKeys recipients in all: each
// is a master key (a PGP one starts gpg), and a file with more is not read.
func (o EncryptOptions) CheckRecipients() error {
	var remote []RemoteKey
	n := 0
	for _, g := range o.Groups {
		remote = append(remote, g.remoteKeys()...)
		n += len(g.Age) + len(g.PGP) + len(g.AWSKMS) + len(g.GCPKMS) + len(g.AzureKeyVault) + len(g.HCVaultTransit)
	}
	if n > sopsfile.MaxMasterKeys {
		return NewError("the recipients", ReasonTooLarge, "%d recipients in all; a file is written to at most %d (sops writes one master key per recipient)", n, sopsfile.MaxMasterKeys)
	}
	if err := o.Policy.Check("the recipients", remote); err != nil {
		return err
	}
	return nil
}
