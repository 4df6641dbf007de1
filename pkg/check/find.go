package check

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Request is one ClusterPairRequest document found in a file.
type Request struct {
	// Path is the file, as found under the directory given.
	Path string
	// Index is the document's index in the file (0 for the first).
	Index int
	// Namespace and Name are the request's, as written.
	Namespace, Name string
	// Problem is set when the file mentions ClusterPairRequest but is not
	// valid YAML; the request could then not be rendered at all.
	Problem string

	doc []byte
}

// ID is namespace/name, or "?" when the request has no name.
func (r Request) ID() string {
	switch {
	case r.Name == "" && r.Namespace == "":
		return "?"
	case r.Namespace == "":
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// Find returns every ClusterPairRequest in the YAML and JSON files under
// paths (directories, searched recursively, or files), skipping hidden
// directories such as .git, in path order. A request is any document of
// kind ClusterPairRequest, whatever its apiVersion: the function reports a
// wrong one.
func Find(paths []string) ([]Request, error) {
	var out []Request
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			reqs, err := findInFile(root)
			if err != nil {
				return nil, err
			}
			out = append(out, reqs...)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !isManifest(p) {
				return nil
			}
			if !d.Type().IsRegular() {
				// Follow a symlink to a file (kustomize reads through it); a
				// link to a directory is not walked.
				if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
					return nil
				}
			}
			reqs, err := findInFile(p)
			out = append(out, reqs...)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isManifest(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// findInFile returns the requests of one file.
func findInFile(p string) ([]Request, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if info.Size() > secrets.MaxFileSize { // a request is small; a large file is data
		return nil, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(data, []byte(v1alpha1.Kind)) {
		return nil, nil
	}
	if err := secrets.CheckParseSize("the file", data); err != nil {
		return []Request{{Path: p, Problem: err.Error()}}, nil
	}
	var out []Request
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for i := 0; ; i++ {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			// The rest of the file cannot be read: report it as a request
			// that does not parse, since it mentions the kind.
			return append(out, Request{Path: p, Index: i, Problem: fmt.Sprintf("document %d is not valid YAML: %s", i+1, diag.ScrubParserError(trimYAML(err)))}), nil
		}
		m := mapping(&node)
		if m == nil || scalarValue(m, "kind") != v1alpha1.Kind {
			continue
		}
		doc, err := yaml.Marshal(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", p, i+1, err)
		}
		r := Request{Path: p, Index: i, doc: doc}
		if meta := child(m, "metadata"); meta != nil {
			r.Name, r.Namespace = scalarValue(meta, "name"), scalarValue(meta, "namespace")
		}
		out = append(out, r)
	}
}

// mapping returns the mapping of a document node, or nil.
func mapping(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	return n
}

// child returns the value of key in a mapping node, or nil.
func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalarValue(m *yaml.Node, key string) string {
	if c := child(m, key); c != nil && c.Kind == yaml.ScalarNode {
		return c.Value
	}
	return ""
}

// trimYAML drops the "yaml: " prefix of a parser error.
func trimYAML(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}
