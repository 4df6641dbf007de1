package secrets

import (
	"fmt"
	"net"
	"net/url"
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
	// resource ID, REGION:KEY-ID.
	ID string
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

// allowHint is the allowlist entry that would allow k.
func (k RemoteKey) allowHint() string {
	switch k.Kind {
	case KindVault, KindAzureKV:
		if e, ok := normalEndpoint(k.Endpoint); ok {
			return k.Kind + "=" + e
		}
		return ""
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
		out = append(out, RemoteKey{Kind: KindAzureKV, Endpoint: u})
	}
	for _, u := range g.HCVaultTransit {
		out = append(out, RemoteKey{Kind: KindVault, Endpoint: u})
	}
	return out
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
