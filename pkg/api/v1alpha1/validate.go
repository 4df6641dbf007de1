package v1alpha1

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// SecretFormats lists the accepted values of SecretRef.Format.
var SecretFormats = []string{"yaml", "json", "dotenv", "ini", "binary"}

// Validate checks everything that can be checked without reading files and
// returns every problem found (errors) and likely mistakes (warnings). Call
// Default first.
func (r *ClusterPairRequest) Validate() diag.Findings {
	var fs diag.Findings
	validateMeta(&fs, r)
	spec := r.Spec
	validateKubeconfig(&fs, "spec.destination.kubeconfig", spec.Destination.Kubeconfig)
	if spec.Storage != nil {
		validateStorage(&fs, "spec.storage", "the destination's", *spec.Storage)
	}
	validateMode(&fs, spec)
	if spec.Rancher != nil {
		validateRancher(&fs, "spec.rancher.projectMappings", spec.Rancher.ProjectMappings)
	}
	if spec.ObjectStore != nil {
		validateObjectStore(&fs, spec)
	}
	if spec.Reverse != nil {
		validateReverse(&fs, spec)
	}
	if spec.Output != nil {
		validateOutput(&fs, "spec.output", *spec.Output)
	}
	validateExpiryWarning(&fs, spec.CredentialExpiryWarning)
	validateGitOpsEngines(&fs, spec.GitOpsEngines)
	validateOwnedAnnotations(&fs, r.Metadata.Annotations)
	return fs
}

func validateMeta(fs *diag.Findings, r *ClusterPairRequest) {
	name, ns := r.Metadata.Name, r.Metadata.Namespace
	if name == "" {
		fs.Errorf("metadata.name", "is required: it becomes the ClusterPair's name")
	} else if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		fs.Errorf("metadata.name", "%q is not a valid ClusterPair name: %s", name, strings.Join(errs, "; "))
	}
	if ns == "" {
		fs.Errorf("metadata.namespace", "is required: a ClusterPair is namespaced and pairs only its own namespace (unless it is Stork's admin namespace)")
	} else if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		fs.Errorf("metadata.namespace", "%q is not a valid namespace: %s", ns, strings.Join(errs, "; "))
	}
}

func validateKubeconfig(fs *diag.Findings, field string, k KubeconfigSource) {
	validateSecretRef(fs, field, k.SecretRef)
	if k.Server != "" {
		if msg := checkServerURL(k.Server); msg != "" {
			fs.Errorf(field+".server", "%s %s", diag.QuoteURL(k.Server), msg)
		}
	}
}

func checkServerURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an https:// URL (like a kubeconfig cluster server)"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil:
		return "must not carry credentials"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// validateStorage checks a Portworx endpoint and token; whose names the
// cluster it belongs to in messages ("the destination's").
func validateStorage(fs *diag.Findings, field, whose string, s Storage) {
	if s.IP == "" {
		fs.Errorf(field+".ip", "is required: %s Portworx API host (IP address or DNS name)", whose)
	} else if msg := checkPortworxHost(s.IP, field+".port"); msg != "" {
		fs.Errorf(field+".ip", "%q %s", s.IP, msg)
	}
	if s.Port < 1 || s.Port > 65535 {
		fs.Errorf(field+".port", "%d is out of range 1-65535", s.Port)
	}
	validateSecretRef(fs, field+".token", s.Token)
}

// checkPortworxHost accepts an IP address or DNS name, optionally behind an
// http:// or https:// scheme, as Stork passes ip through to Portworx.
// portField is the port field a host:port hint points to.
func checkPortworxHost(s, portField string) string {
	host, prefix := s, ""
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		if scheme != "http" && scheme != "https" {
			return "has an unsupported scheme (only http:// and https:// are accepted)"
		}
		host, prefix = rest, scheme+"://"
	}
	if strings.ContainsAny(host, "/?#@") {
		return "must be a host only (no path, query or credentials)"
	}
	if strings.HasPrefix(host, "[") {
		if inner, ok := strings.CutSuffix(host[1:], "]"); ok && net.ParseIP(inner) != nil && strings.Contains(inner, ":") {
			return ""
		}
		if h, p, err := net.SplitHostPort(host); err == nil {
			if prefix != "" {
				h = "[" + h + "]" // a URL needs the brackets
			}
			return fmt.Sprintf("must not include a port: set %s: %s and ip: %s%s", portField, p, prefix, h)
		}
		return "brackets may only enclose an IPv6 address"
	}
	if net.ParseIP(host) != nil {
		return ""
	}
	if h, p, err := net.SplitHostPort(host); err == nil {
		return fmt.Sprintf("must not include a port: set %s: %s and ip: %s%s", portField, p, prefix, h)
	}
	if looksNumeric(host) {
		return "is not a valid IP address"
	}
	if errs := validation.IsDNS1123Subdomain(strings.ToLower(host)); len(errs) > 0 {
		return "is neither an IP address nor a valid DNS name (letters, digits, '-' and '.')"
	}
	return ""
}

// looksNumeric reports whether every dot-separated label is digits, as in a
// mistyped IPv4 address (10.0.0.256) that DNS syntax alone would accept.
func looksNumeric(host string) bool {
	for _, label := range strings.Split(host, ".") {
		if label == "" || strings.Trim(label, "0123456789") != "" {
			return false
		}
	}
	return true
}

func validateSecretRef(fs *diag.Findings, field string, ref SecretRef) {
	if ref.File == "" {
		fs.Errorf(field+".file", "is required: the path of a SOPS-encrypted file, relative to the request")
	} else if msg := CheckRelativePath(ref.File); msg != "" {
		fs.Errorf(field+".file", "%q %s", ref.File, msg)
	}
	if ref.Format != "" && !contains(SecretFormats, ref.Format) {
		fs.Errorf(field+".format", "%q is not supported: use one of %s", ref.Format, strings.Join(SecretFormats, ", "))
	}
	if ref.Key != "" {
		for _, seg := range strings.Split(ref.Key, ".") {
			if seg == "" {
				fs.Errorf(field+".key", "%q has an empty segment", ref.Key)
				break
			}
		}
	}
	if ref.AllowUnencrypted {
		fs.Warnf(field+".allowUnencrypted", "is true: a plaintext %q is accepted; never use this for a real credential", ref.File)
	}
}

// CheckRelativePath is the one path rule: it returns why p cannot name a
// file below a directory (the request's, for a reference or output.file;
// the package's, for a path annotation; a secrets.Root's, for every file
// opened), or "" when it can. A path is relative, slash-separated, without
// "..", a NUL byte or a drive letter, and names a file, not the directory
// itself. It is a purely lexical check; symlinks are confined when the file
// is opened (secrets.Root).
func CheckRelativePath(p string) string {
	switch {
	case strings.ContainsRune(p, 0):
		return "contains a NUL byte"
	case strings.Contains(p, `\`):
		return "must use forward slashes"
	case path.IsAbs(p) || len(p) > 1 && p[1] == ':' && ('a' <= p[0]|0x20 && p[0]|0x20 <= 'z'):
		return "must be relative to the directory of the request, not absolute"
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "escapes the directory of the request"
	}
	if clean == "." {
		return "names a directory, not a file"
	}
	return ""
}

func validateMode(fs *diag.Findings, spec ClusterPairRequestSpec) {
	switch spec.Mode {
	case "":
		if spec.Storage != nil {
			fs.Warnf("spec.mode", "is not set although spec.storage is: Stork pairs storage in its Default mode (every 7th migration is a full one); set async-dr or migration")
		}
	case ModeAsyncDR, ModeMigration:
		if spec.Storage == nil {
			fs.Errorf("spec.mode", "%s pairs two Portworx clusters: spec.storage (ip, port, token) is required", spec.Mode)
		}
	case ModeSyncDR:
		if spec.ObjectStore != nil {
			fs.Errorf("spec.objectStore", "must be omitted with mode sync-dr: there is no storage pairing")
		}
		if spec.Storage != nil {
			fs.Errorf("spec.storage", "must be omitted with mode sync-dr: both clusters share one storage fabric, and a token would make Stork attempt storage pairing")
		}
	default:
		fs.Errorf("spec.mode", "%q is not supported: use one of %s (Stork would silently fall back to its Default mode)", spec.Mode, joinModes())
	}
}

func validateRancher(fs *diag.Findings, field string, pm ProjectMappings) {
	if pm.IsZero() {
		fs.Errorf(field, "is empty: give at least one source=destination project mapping, or remove spec.rancher")
		return
	}
	if _, problems := pm.Resolve(); len(problems) > 0 {
		for _, p := range problems {
			fs.Errorf(field, "%s", p)
		}
	}
}

func joinModes() string {
	parts := make([]string, len(Modes))
	for i, m := range Modes {
		parts[i] = string(m)
	}
	return strings.Join(parts, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
