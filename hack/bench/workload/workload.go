// Package workload builds the inputs of the benchmarks: the ResourceList
// kustomize passes for examples/kustomize, and fleets of N pairs, each in
// its own directory with its own copies of the encrypted files, in one
// ResourceList (as kpt passes a package of many requests).
package workload

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"
)

// ExampleDir is the example every workload is made of, relative to the
// repository root.
const ExampleDir = "examples/kustomize"

// exampleFiles are the encrypted files the example's request references.
var exampleFiles = []string{"destination-kubeconfig.yaml", "px-token.enc"}

// Single returns the ResourceList kustomize builds for the example's
// generator: the request as functionConfig, and as the only item with the
// annotations kustomize adds.
func Single(repo string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(repo, ExampleDir, "clusterpair.yaml"))
	if err != nil {
		return nil, err
	}
	config, err := sdk.ParseKubeObject(data)
	if err != nil {
		return nil, err
	}
	if err := config.SetAnnotation("config.kubernetes.io/local-config", "true"); err != nil {
		return nil, err
	}
	item, err := sdk.ParseKubeObject([]byte(config.String()))
	if err != nil {
		return nil, err
	}
	for _, kv := range [][2]string{
		{"config.kubernetes.io/index", "0"},
		{"internal.config.kubernetes.io/index", "0"},
		{"internal.config.kubernetes.io/annotations-migration-resource-id", "0"},
		{"internal.config.kubernetes.io/id", "1"},
		{"config.k8s.io/id", "1"},
	} {
		if err := item.SetAnnotation(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	rl := &sdk.ResourceList{Items: sdk.KubeObjects{item}, FunctionConfig: config}
	return rl.ToYAML()
}

// Fleet writes n pair directories under dir (pairs/p00000, ...), each with
// copies of the example's encrypted files, and returns a ResourceList with
// one request per pair (annotated with its path, as kpt does) and no
// functionConfig.
func Fleet(repo, dir string, n int) ([]byte, error) {
	contents := map[string][]byte{}
	for _, f := range exampleFiles {
		data, err := os.ReadFile(filepath.Join(repo, ExampleDir, f))
		if err != nil {
			return nil, err
		}
		contents[f] = data
	}
	var b strings.Builder
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n")
	for i := 0; i < n; i++ {
		rel := fmt.Sprintf("pairs/p%05d", i)
		if err := os.MkdirAll(filepath.Join(dir, rel), 0o755); err != nil {
			return nil, err
		}
		for name, data := range contents {
			if err := os.WriteFile(filepath.Join(dir, rel, name), data, 0o644); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(&b, `- apiVersion: fn.clusterpair.dev/v1alpha1
  kind: ClusterPairRequest
  metadata:
    name: dr-%05d
    namespace: app
    annotations:
      config.kubernetes.io/path: %s/clusterpair.yaml
      internal.config.kubernetes.io/path: %s/clusterpair.yaml
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/index: '0'
  spec:
    mode: async-dr
    destination:
      kubeconfig:
        file: destination-kubeconfig.yaml
    storage:
      ip: px-api.west.example.com
      port: 9001
      token:
        file: px-token.enc
`, i, rel, rel)
	}
	return []byte(b.String()), nil
}

// CopyExample copies the example's directory (request, kustomization and
// encrypted files) to dir.
func CopyExample(repo, dir string) error {
	src := filepath.Join(repo, ExampleDir)
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
