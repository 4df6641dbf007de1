package author

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
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

// input is one encrypted input file of the pair directory: its path (as
// the request names it), its plaintext (nil until read) and the check that
// its encryption left nothing readable.
type input struct {
	name  string
	data  []byte
	leaks func(name string, e *secrets.EncryptedFile) error
}

// inputs are the encrypted inputs of the request, in the order they are
// written: each side's kubeconfig and token, the object store's file after
// the source side's.
func inputs(lay layout, sides []*sideInput, store *objectStore) []input {
	names := [][2]string{{KubeconfigFile, TokenFile}, {ReverseKubeconfigFile, ReverseTokenFile}}
	var out []input
	for i, s := range sides {
		kc := input{name: lay.input(names[i][0]), leaks: kubeconfigLeaks}
		if s.kc != nil {
			kc.data = s.kc.data
		}
		out = append(out, kc)
		if s.ip != "" {
			token := s.token
			out = append(out, input{name: lay.input(names[i][1]), data: token, leaks: func(name string, e *secrets.EncryptedFile) error { return tokenLeaks(name, e.Data, token) }})
		}
		if i == 0 && store != nil {
			out = append(out, input{name: lay.input(ObjectStoreFile), data: store.plain, leaks: func(_ string, e *secrets.EncryptedFile) error { return objectStoreLeaks(e, store.values()) }})
		}
	}
	return out
}

// request is the ClusterPairRequest New writes: an exec-function generator
// for kustomize naming the inputs (mode sync-dr: no storage), with the
// layout's output settings.
func (o Options) request(mode v1alpha1.Mode, lay layout, sides []*sideInput, store *objectStore) *v1alpha1.ClusterPairRequest {
	req := &v1alpha1.ClusterPairRequest{APIVersion: v1alpha1.APIVersion, Kind: v1alpha1.Kind}
	req.Metadata.Name, req.Metadata.Namespace = o.Name, o.Namespace
	req.Metadata.Annotations = map[string]string{v1alpha1.FunctionAnnotation: "exec:\n  path: clusterpair-fn\n"}
	spec := &req.Spec
	spec.Mode = mode
	var output *v1alpha1.Output
	if lay.encryptsOutput() {
		output = &v1alpha1.Output{File: lay.outputFile(), Encrypt: &v1alpha1.Encryption{Recipients: v1alpha1.Recipients{Age: o.outputAge()}}}
	}
	names := [][2]string{{KubeconfigFile, TokenFile}, {ReverseKubeconfigFile, ReverseTokenFile}}
	for i, s := range sides {
		kc := v1alpha1.KubeconfigSource{SecretRef: v1alpha1.SecretRef{File: lay.input(names[i][0])}, Server: s.Server}
		var storage *v1alpha1.Storage
		if s.ip != "" {
			storage = &v1alpha1.Storage{IP: s.ip, Port: s.port, Token: v1alpha1.SecretRef{File: lay.input(names[i][1])}}
		}
		if s.side == v1alpha1.SideSource {
			spec.Destination.Kubeconfig, spec.Storage = kc, storage
			continue
		}
		spec.Reverse = &v1alpha1.Reverse{Kubeconfig: kc, Storage: storage}
		if output != nil && lay == LayoutFlux {
			out := *output
			output.File, out.File = renderedFile(v1alpha1.SideSource), renderedFile(v1alpha1.SideDestination)
			spec.Reverse.Output = &out
		}
	}
	if o.ProjectMappings != "" {
		spec.Rancher = &v1alpha1.Rancher{} // its value is written as given (requestYAML)
	}
	if store != nil {
		spec.ObjectStore = store.spec(lay.input(ObjectStoreFile))
	}
	spec.Output = output
	return req
}

// requestYAML writes the request: readable in review, its fields in the
// order of the API types, under a comment naming the encrypted files;
// projectMappings as given (storkctl's string), so that Load reports
// whatever is wrong with it.
func requestYAML(req *v1alpha1.ClusterPairRequest, projectMappings string, encrypted []string) ([]byte, error) {
	js, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	blockStyle(&doc, projectMappings)
	var b strings.Builder
	switch len(encrypted) {
	case 1:
		b.WriteString("# Created by `clusterpair-fn new`. " + encrypted[0] + " is\n# SOPS-encrypted")
	case 2:
		b.WriteString("# Created by `clusterpair-fn new`. " + encrypted[0] + " and " + encrypted[1] + " are\n# SOPS-encrypted")
	default:
		b.WriteString("# Created by `clusterpair-fn new`. SOPS-encrypted: " + strings.Join(encrypted, ",\n#   "))
	}
	b.WriteString("; check before committing with `clusterpair-fn check --live`.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("writing the request: %w", err)
	}
	return []byte(b.String()), nil
}

// blockStyle turns the JSON a request marshals to into block-style YAML:
// no flow style or quotes but where a scalar needs them, no null fields
// (metadata.creationTimestamp), and projectMappings as the string given.
func blockStyle(n *yaml.Node, projectMappings string) {
	n.Style = 0
	if n.Kind == yaml.MappingNode {
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Tag == "!!null" {
				continue
			}
			if k.Value == "projectMappings" {
				*v = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: projectMappings}
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
	}
	for _, c := range n.Content {
		blockStyle(c, projectMappings)
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
