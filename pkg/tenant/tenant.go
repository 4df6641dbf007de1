// Package tenant reads the operator's tenant map: which private keys,
// network key services and limits each tenant of a shared renderer (one
// Argo CD repo-server, one CI job over many teams' directories) decrypts
// and renders with. A tenant is who the operator's system vouches for (an
// Argo CD Application's project, a CI job's setting), never a directory:
// any tenant may point a render at any directory of the repository, so a
// render for tenant A can open only files encrypted to A's keys, wherever
// they sit.
//
// Without a tenant map a renderer is one trust domain: every request it
// renders may use every key of its environment.
package tenant

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// The identity of a tenant map file.
const (
	APIVersion = "fn.clusterpair.dev/v1alpha1"
	Kind       = "TenantMap"
)

// Map is a tenant map file:
//
//	apiVersion: fn.clusterpair.dev/v1alpha1
//	kind: TenantMap
//	tenants:
//	  - name: team-a                 # an Argo CD project, or a CI job's tenant
//	    ageKeyFile: team-a.agekey    # relative to this file's directory
//	    gnupgHome: /keys/team-a/gnupg
//	    allowKeyEndpoints: ["hc_vault=https://vault.example:8200/v1/transit/keys/team-a-*"]
//	    limits: {maxRequests: 50, maxReadBytes: 16777216}
type Map struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Tenants    []Entry `json:"tenants"`

	// file is where the map was read from; relative paths in it resolve
	// against its directory.
	file string
}

// Entry is one tenant of the map.
type Entry struct {
	// Name is the tenant: an Argo CD project name, or what the operator's
	// CI job sets (a DNS-1123 subdomain).
	Name string `json:"name"`
	// AgeKeyFile holds the tenant's age identities (one per line, as
	// age-keygen writes them), relative to the map's directory.
	AgeKeyFile string `json:"ageKeyFile,omitempty"`
	// GnuPGHome is the tenant's GnuPG home (mode 0700), relative to the
	// map's directory or absolute.
	GnuPGHome string `json:"gnupgHome,omitempty"`
	// AllowKeyEndpoints are the network key services the tenant's files may
	// use (entries as for --allow-key-endpoint); none by default.
	AllowKeyEndpoints []string `json:"allowKeyEndpoints,omitempty"`
	// Limits bound one of the tenant's runs; zero fields take the
	// renderer's own limits.
	Limits Limits `json:"limits,omitempty"`
}

// Limits bound the work of one run of a tenant (see secrets.Limits).
type Limits struct {
	MaxRequests  int   `json:"maxRequests,omitempty"`
	MaxReadBytes int64 `json:"maxReadBytes,omitempty"`
}

// Tenant is what a run for one tenant renders with.
type Tenant struct {
	// Keys are the tenant's private keys, read from the map's files.
	Keys *secrets.TenantKeys
	// Policy allows the tenant's network key services.
	Policy secrets.KeyPolicy
	// Limits are the tenant's own limits over base (secrets.Limits zero fields
	// take the defaults).
	Limits secrets.Limits
}

// Load reads, defaults and validates the tenant map at path.
func Load(path string) (*Map, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("reading the tenant map: %w", err)
	}
	var m Map
	if err := yaml.UnmarshalStrict(data, &m); err != nil {
		return nil, fmt.Errorf("the tenant map %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("the tenant map %s: %w", path, err)
	}
	m.file = abs
	m.Default()
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("the tenant map %s: %w", path, err)
	}
	return &m, nil
}

// Default fills in the identity of a map that leaves it out.
func (m *Map) Default() {
	if m.APIVersion == "" {
		m.APIVersion = APIVersion
	}
	if m.Kind == "" {
		m.Kind = Kind
	}
}

// Validate reports the first problem of the map: its identity, a tenant
// without a valid name, a name twice, a tenant without a key, an
// allowlist entry that does not parse, a negative limit.
func (m *Map) Validate() error {
	if m.APIVersion != APIVersion || m.Kind != Kind {
		return fmt.Errorf("is a %s %s; want %s %s", m.APIVersion, m.Kind, APIVersion, Kind)
	}
	if len(m.Tenants) == 0 {
		return errors.New("tenants: lists no tenant")
	}
	seen := map[string]bool{}
	for i, e := range m.Tenants {
		field := fmt.Sprintf("tenants[%d]", i)
		if msgs := validation.IsDNS1123Subdomain(e.Name); len(msgs) > 0 {
			return fmt.Errorf("%s.name %q: %s", field, e.Name, strings.Join(msgs, "; "))
		}
		if seen[e.Name] {
			return fmt.Errorf("%s.name: tenant %q is listed twice", field, e.Name)
		}
		seen[e.Name] = true
		if e.AgeKeyFile == "" && e.GnuPGHome == "" {
			return fmt.Errorf("%s (tenant %q): give it a key: ageKeyFile or gnupgHome", field, e.Name)
		}
		if _, err := secrets.ParseKeyPolicy(e.AllowKeyEndpoints...); err != nil {
			return fmt.Errorf("%s.allowKeyEndpoints (tenant %q): %w", field, e.Name, err)
		}
		if e.Limits.MaxRequests < 0 || e.Limits.MaxReadBytes < 0 {
			return fmt.Errorf("%s.limits (tenant %q): limits must be positive", field, e.Name)
		}
	}
	return nil
}

// Names lists the map's tenants in order.
func (m *Map) Names() []string {
	names := make([]string, len(m.Tenants))
	for i, e := range m.Tenants {
		names[i] = e.Name
	}
	return names
}

// Tenant returns what a run for the named tenant uses, reading its key
// file; base are the renderer's own limits, which the tenant's override.
// An unknown tenant is an error: no other tenant's keys stand in.
func (m *Map) Tenant(name string, base secrets.Limits) (*Tenant, error) {
	var entry *Entry
	for i := range m.Tenants {
		if m.Tenants[i].Name == name {
			entry = &m.Tenants[i]
		}
	}
	if entry == nil {
		return nil, fmt.Errorf("tenant %q is not in the tenant map %s (its tenants: %s); nothing was decrypted", name, m.file, strings.Join(m.Names(), ", "))
	}
	keys := &secrets.TenantKeys{Tenant: name, GnuPGHome: m.resolve(entry.GnuPGHome)}
	if entry.AgeKeyFile != "" {
		data, err := readBounded(m.resolve(entry.AgeKeyFile))
		if err != nil {
			return nil, fmt.Errorf("tenant %q: reading its age key file: %w", name, err)
		}
		keys.AgeIdentities = string(data)
	}
	if err := keys.Validate(); err != nil {
		return nil, err
	}
	policy, err := secrets.ParseKeyPolicy(entry.AllowKeyEndpoints...)
	if err != nil {
		return nil, fmt.Errorf("tenant %q: %w", name, err) // Validate parsed it already
	}
	limits := base
	if entry.Limits.MaxRequests > 0 {
		limits.MaxRequests = entry.Limits.MaxRequests
	}
	if entry.Limits.MaxReadBytes > 0 {
		limits.MaxReadBytes = entry.Limits.MaxReadBytes
	}
	return &Tenant{Keys: keys, Policy: policy, Limits: limits}, nil
}

// resolve makes a path of the map absolute against its directory.
func (m *Map) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(m.file), p)
}

// readBounded reads a regular file of at most secrets.MaxFileSize bytes. Errors
// name the path, never the content.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the operator's own file (a flag or the environment), not the repository's
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, tooLarge, err := secrets.ReadAtMost(f, secrets.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if tooLarge {
		return nil, fmt.Errorf("%s exceeds %d bytes", path, secrets.MaxFileSize)
	}
	return data, nil
}
