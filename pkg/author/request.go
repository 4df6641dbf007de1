package author

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// The files New writes into the pair directory.
const (
	// RequestFile holds the ClusterPairRequest.
	RequestFile = "clusterpair.yaml"
	// KubeconfigFile holds the SOPS-encrypted destination kubeconfig.
	KubeconfigFile = "destination-kubeconfig.yaml"
	// TokenFile holds the SOPS-encrypted Portworx pairing token (binary).
	TokenFile = "px-token.enc"
	// ReverseKubeconfigFile holds the SOPS-encrypted kubeconfig that
	// reaches the source cluster (spec.reverse).
	ReverseKubeconfigFile = "source-kubeconfig.yaml"
	// ReverseTokenFile holds the source cluster's SOPS-encrypted Portworx
	// pairing token (spec.reverse.storage.token).
	ReverseTokenFile = "source-token.enc"
	// KustomizationFile runs the request as a kustomize generator.
	KustomizationFile = "kustomization.yaml"
)

// requestFields are the values of the request New writes.
type requestFields struct {
	name, namespace string
	mode            v1alpha1.Mode
	server          string
	ip              string
	port            int
	projectMappings string
	// kubeconfigFile and tokenFile are the inputs' paths (default
	// KubeconfigFile, TokenFile); outputAge and outputFile, when set, become
	// spec.output.encrypt.age and spec.output.file.
	kubeconfigFile, tokenFile string
	outputAge                 []string
	outputFile                string
	// reverse, when set, becomes spec.reverse; objectStore and
	// objectStoreFile spec.objectStore.
	reverse         *reverseFields
	objectStore     *objectStore
	objectStoreFile string
}

// reverseFields are the values of spec.reverse.
type reverseFields struct {
	kubeconfigFile, server string
	ip                     string
	port                   int
	tokenFile              string
	// outputFile, when set, becomes spec.reverse.output.file, with the
	// request's output.encrypt.
	outputFile string
}

// encryptedFiles are the encrypted inputs the request names.
func (f requestFields) encryptedFiles() []string {
	out := []string{f.kubeconfigFile}
	if f.ip != "" {
		out = append(out, f.tokenFile)
	}
	if f.objectStore != nil {
		out = append(out, f.objectStoreFile)
	}
	if r := f.reverse; r != nil {
		out = append(out, r.kubeconfigFile)
		if r.ip != "" {
			out = append(out, r.tokenFile)
		}
	}
	return out
}

// requestYAML returns the ClusterPairRequest: an exec-function generator
// for kustomize, readable in review, with the fields in the order of the
// README.
func requestYAML(f requestFields) []byte {
	if f.kubeconfigFile == "" {
		f.kubeconfigFile = KubeconfigFile
	}
	if f.tokenFile == "" {
		f.tokenFile = TokenFile
	}
	var b strings.Builder
	switch enc := f.encryptedFiles(); len(enc) {
	case 1:
		b.WriteString("# Created by `clusterpair-fn new`. " + enc[0] + " is\n# SOPS-encrypted")
	case 2:
		b.WriteString("# Created by `clusterpair-fn new`. " + enc[0] + " and " + enc[1] + " are\n# SOPS-encrypted")
	default:
		b.WriteString("# Created by `clusterpair-fn new`. SOPS-encrypted: " + strings.Join(enc, ",\n#   "))
	}
	b.WriteString("; check before committing with `clusterpair-fn check --live`.\n")
	fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\n", v1alpha1.APIVersion, v1alpha1.Kind)
	fmt.Fprintf(&b, "metadata:\n  name: %s\n  namespace: %s\n", scalar(f.name), scalar(f.namespace))
	b.WriteString("  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: clusterpair-fn\n")
	b.WriteString("spec:\n")
	fmt.Fprintf(&b, "  mode: %s\n", scalar(string(f.mode)))
	fmt.Fprintf(&b, "  destination:\n    kubeconfig:\n      file: %s\n", f.kubeconfigFile)
	if f.server != "" {
		fmt.Fprintf(&b, "      server: %s\n", scalar(f.server))
	}
	if f.ip != "" {
		fmt.Fprintf(&b, "  storage:\n    ip: %s\n    port: %d\n    token:\n      file: %s\n", scalar(f.ip), f.port, f.tokenFile)
	}
	if f.projectMappings != "" {
		fmt.Fprintf(&b, "  rancher:\n    projectMappings: %s\n", scalar(f.projectMappings))
	}
	if f.objectStore != nil {
		writeObjectStore(&b, f.objectStore, f.objectStoreFile)
	}
	if r := f.reverse; r != nil {
		fmt.Fprintf(&b, "  reverse:\n    kubeconfig:\n      file: %s\n", r.kubeconfigFile)
		if r.server != "" {
			fmt.Fprintf(&b, "      server: %s\n", scalar(r.server))
		}
		if r.ip != "" {
			fmt.Fprintf(&b, "    storage:\n      ip: %s\n      port: %d\n      token:\n        file: %s\n", scalar(r.ip), r.port, r.tokenFile)
		}
		if r.outputFile != "" {
			fmt.Fprintf(&b, "    output:\n      file: %s\n      encrypt:\n        age:\n", scalar(r.outputFile))
			for _, a := range f.outputAge {
				fmt.Fprintf(&b, "          - %s\n", scalar(a))
			}
		}
	}
	if len(f.outputAge) > 0 || f.outputFile != "" {
		b.WriteString("  output:\n")
		if f.outputFile != "" {
			fmt.Fprintf(&b, "    file: %s\n", scalar(f.outputFile))
		}
		if len(f.outputAge) > 0 {
			b.WriteString("    encrypt:\n      age:\n")
			for _, r := range f.outputAge {
				fmt.Fprintf(&b, "        - %s\n", scalar(r))
			}
		}
	}
	return []byte(b.String())
}

// writeObjectStore writes spec.objectStore: the settings given, and a
// reference into file for each credential.
func writeObjectStore(b *strings.Builder, s *objectStore, file string) {
	o := s.opts
	fmt.Fprintf(b, "  objectStore:\n    provider: %s\n    bucket: %s\n", s.provider, scalar(o.Bucket))
	ref := func(indent, name, key string) {
		fmt.Fprintf(b, "%s%s:\n%s  file: %s\n%s  key: %s\n", indent, name, indent, file, indent, key)
	}
	setting := func(name, value string) {
		if value != "" {
			fmt.Fprintf(b, "      %s: %s\n", name, scalar(value))
		}
	}
	for _, c := range s.credentials {
		if c.key == "encryptionKey" {
			ref("    ", "encryptionKey", c.key)
		}
	}
	fmt.Fprintf(b, "    %s:\n", s.provider)
	switch s.provider {
	case v1alpha1.ProviderS3:
		setting("endpoint", o.S3Endpoint)
		setting("region", o.S3Region)
		if o.S3DisableSSL {
			b.WriteString("      disableSSL: true\n")
		}
		setting("storageClass", o.S3StorageClass)
		setting("sse", o.S3SSE)
	case v1alpha1.ProviderAzure:
		setting("accountName", o.AzureAccountName)
		setting("environment", o.AzureEnvironment)
		setting("resourceGroup", o.AzureResourceGroup)
	case v1alpha1.ProviderGoogle:
		setting("projectID", o.GoogleProjectID)
	}
	for _, c := range s.credentials {
		if section, name, ok := strings.Cut(c.key, "."); ok && section == string(s.provider) {
			ref("      ", name, c.key)
		}
	}
}

// kustomizationYAML runs the request as a generator; reverse is whether
// the request has a reverse pair, whose every render names its side.
func kustomizationYAML(reverse bool) []byte {
	how := `# Render with: kustomize build --enable-alpha-plugins --enable-exec .
# (or clusterpair-fn build .); check with: clusterpair-fn check --live .
`
	if reverse {
		how = `# A pair for each cluster: render the source cluster's with
#   CLUSTERPAIR_SIDE=source kustomize build --enable-alpha-plugins --enable-exec .
# and the destination cluster's with
#   CLUSTERPAIR_SIDE=destination kustomize build --enable-alpha-plugins --enable-exec .
# (or CLUSTERPAIR_SIDE=... clusterpair-fn build .); check both with: clusterpair-fn check --live .
`
	}
	return []byte(how + `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
generators:
  - ` + RequestFile + "\n")
}

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/:=,\[\]-]*$`)

// scalar writes s as a plain YAML scalar when that reads back as the same
// string, and double-quoted (JSON quoting, which YAML accepts) otherwise.
func scalar(s string) string {
	if plainScalar.MatchString(s) && !strings.Contains(s, ": ") {
		var v map[string]any
		if err := yaml.Unmarshal([]byte("v: "+s), &v); err == nil {
			if got, ok := v["v"].(string); ok && got == s {
				return s
			}
		}
	}
	q, _ := json.Marshal(s)
	return string(q)
}
