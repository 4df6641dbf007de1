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
	b.WriteString("# Created by `clusterpair-fn new`. " + f.kubeconfigFile)
	if f.ip != "" {
		b.WriteString(" and " + f.tokenFile + " are\n# SOPS-encrypted")
	} else {
		b.WriteString(" is\n# SOPS-encrypted")
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

// kustomizationYAML runs the request as a generator.
func kustomizationYAML() []byte {
	return []byte(`# Render with: kustomize build --enable-alpha-plugins --enable-exec .
# (or clusterpair-fn build .); check with: clusterpair-fn check --live .
apiVersion: kustomize.config.k8s.io/v1beta1
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
