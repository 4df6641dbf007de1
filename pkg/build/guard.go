package build

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/kyaml/fn/runtime/runtimeutil"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// FunctionPath is the only KRM function Guard lets kustomize run: the exec
// function `clusterpair-fn`, a bare name that kustomize looks up on the
// operator's PATH.
const FunctionPath = "clusterpair-fn"

// ErrUntrustedKustomization means the kustomization tree would make kustomize
// run something other than the operator's clusterpair-fn (another exec
// function, a container, a starlark script), or Guard cannot tell what it
// would run (remote bases, paths outside DIR, directories as generators).
var ErrUntrustedKustomization = errors.New("refusing to run kustomize")

// kustomizationFileNames are the names kustomize v5 recognizes, in its order.
var kustomizationFileNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// functionAnnotations are the metadata.annotations through which kyaml
// (runtimeutil.GetFunctionSpec) declares a KRM function; metadata.configFn
// is the legacy field.
var functionAnnotations = []string{"config.kubernetes.io/function", "config.k8s.io/function", "config.kubernetes.io/container"}

// kustomization is the part of a Kustomization (or Component) that names
// other kustomizations or KRM function configs.
type kustomization struct {
	Resources    []string `json:"resources"`
	Bases        []string `json:"bases"`
	Components   []string `json:"components"`
	Generators   []string `json:"generators"`
	Transformers []string `json:"transformers"`
	Validators   []string `json:"validators"`
}

// Guard walks the kustomization tree rooted at dir as `kustomize build`
// would and returns an error wrapping ErrUntrustedKustomization unless
// every KRM function it would invoke is exactly `exec: {path:
// clusterpair-fn}`. Local directories under resources, bases and
// components are followed (each once); every path must resolve, symlinks
// included, inside dir; remote bases are refused because their content
// cannot be inspected. Entries of generators, transformers and validators
// must be files inside dir or inline YAML; every document in them that
// declares a function must declare exactly clusterpair-fn.
func Guard(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUntrustedKustomization, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("%w: kustomization directory %s: %v", ErrUntrustedKustomization, dir, err)
	}
	fsys, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("%w: kustomization directory %s: %v", ErrUntrustedKustomization, dir, err)
	}
	defer func() { _ = fsys.Close() }()
	g := &guard{root: root, fsys: fsys, display: dir, seen: map[string]bool{}}
	return g.visit(root)
}

type guard struct {
	root    string          // dir with symlinks resolved
	fsys    *os.Root        // root, through which every file is read
	display string          // dir as given, for messages
	seen    map[string]bool // visited kustomization directories
}

// rel names path for messages, relative to the DIR the operator gave.
func (g *guard) rel(path string) string {
	r, err := filepath.Rel(g.root, path)
	if err != nil {
		return path
	}
	return filepath.Join(g.display, r)
}

func (g *guard) refuse(file, field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s: %s", ErrUntrustedKustomization, g.rel(file), field, fmt.Sprintf(format, args...))
}

// visit checks the kustomization in directory d (resolved, inside root).
func (g *guard) visit(d string) error {
	if g.seen[d] {
		return nil // checked already (a diamond or a cycle, which kustomize itself rejects)
	}
	g.seen[d] = true
	file, err := g.kustomizationFile(d)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUntrustedKustomization, g.rel(d), err)
	}
	data, err := g.readFile(file)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUntrustedKustomization, err)
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return g.refuse(file, "kustomization", "not a kustomization: %v", err)
	}
	for _, f := range []struct {
		name    string
		entries []string
	}{{"resources", k.Resources}, {"bases", k.Bases}, {"components", k.Components}} {
		for i, e := range f.entries {
			field := fmt.Sprintf("%s[%d]", f.name, i)
			target, info, err := g.local(file, field, d, e)
			if err != nil {
				return err
			}
			if info.IsDir() {
				if err := g.visit(target); err != nil {
					return err
				}
			}
			// A resource file holds plain objects: kustomize never runs them.
		}
	}
	for _, f := range []struct {
		name    string
		entries []string
	}{{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators}} {
		for i, e := range f.entries {
			field := fmt.Sprintf("%s[%d]", f.name, i)
			if err := g.functionConfigs(file, field, d, e); err != nil {
				return err
			}
		}
	}
	return nil
}

// readFile reads path (absolute, inside root) through the os.Root, so that
// nothing outside DIR is read even if the tree changes during the walk.
func (g *guard) readFile(path string) ([]byte, error) {
	r, err := filepath.Rel(g.root, path)
	if err != nil {
		return nil, err
	}
	return g.fsys.ReadFile(r)
}

// kustomizationFile returns the one kustomization file of d.
func (g *guard) kustomizationFile(d string) (string, error) {
	var found []string
	for _, n := range kustomizationFileNames {
		r, err := filepath.Rel(g.root, filepath.Join(d, n))
		if err != nil {
			return "", err
		}
		if info, err := g.fsys.Stat(r); err == nil && info.Mode().IsRegular() {
			found = append(found, filepath.Join(d, n))
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no %s found", strings.Join(kustomizationFileNames, ", "))
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("more than one kustomization file (%s)", strings.Join(kustomizationFileNames, ", "))
	}
}

// local resolves entry e of file (in directory d) to a path inside root.
func (g *guard) local(file, field, d, e string) (string, os.FileInfo, error) {
	if strings.Contains(e, "://") || strings.HasPrefix(e, "git@") || strings.HasPrefix(e, "github.com/") {
		return "", nil, g.refuse(file, field, "remote %q: its content cannot be inspected; vendor it into the repository", e)
	}
	if filepath.IsAbs(e) {
		return "", nil, g.refuse(file, field, "absolute path %q is outside the kustomization directory", e)
	}
	p := filepath.Join(d, e)
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", nil, g.refuse(file, field, "%q is not a local file or directory (remote bases are refused: vendor them)", e)
	}
	if r, err := filepath.Rel(g.root, resolved); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", nil, g.refuse(file, field, "%q resolves outside the kustomization directory %s", e, g.display)
	}
	info, err := os.Stat(resolved)
	if err != nil {
		return "", nil, g.refuse(file, field, "%q: %v", e, err)
	}
	return resolved, info, nil
}

// functionConfigs checks a generators/transformers/validators entry: inline
// YAML (kustomize tries that first) or a file inside root.
func (g *guard) functionConfigs(file, field, d, e string) error {
	var probe any
	if err := yaml.Unmarshal([]byte(e), &probe); strings.Contains(e, "\n") || (err == nil && isMapping(probe)) {
		return g.documents(file, field+" (inline)", []byte(e))
	}
	target, info, err := g.local(file, field, d, e)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return g.refuse(file, field, "%q is a directory: its kustomization's output would become function configs, "+
			"which cannot be checked before it is built; list the config files themselves", e)
	}
	data, err := g.readFile(target)
	if err != nil {
		return g.refuse(file, field, "%v", err)
	}
	return g.documents(target, field+" (from "+g.rel(file)+")", data)
}

// isMapping reports whether v decoded from a YAML mapping.
func isMapping(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// documents checks every object of a multi-document YAML stream, and the
// items of List objects.
func (g *guard) documents(file, field string, data []byte) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return g.refuse(file, field, "document %d: %v", i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		node, err := kyaml.Parse(string(doc))
		if err != nil {
			return g.refuse(file, field, "document %d: %v", i, err)
		}
		if err := g.node(file, fmt.Sprintf("%s document %d", field, i), node); err != nil {
			return err
		}
	}
}

// node checks one object and, recursively, its items.
func (g *guard) node(file, where string, n *kyaml.RNode) error {
	if n.YNode().Kind != kyaml.MappingNode {
		return nil // kustomize rejects it as a config; nothing runs
	}
	if err := g.function(file, where, n); err != nil {
		return err
	}
	items, err := n.Pipe(kyaml.Lookup("items"))
	if err != nil || items == nil || items.YNode().Kind != kyaml.SequenceNode {
		return nil
	}
	elems, _ := items.Elements()
	for j, item := range elems {
		if err := g.node(file, fmt.Sprintf("%s items[%d]", where, j), item); err != nil {
			return err
		}
	}
	return nil
}

// function refuses an object that declares any function but exactly
// `exec: {path: clusterpair-fn}`: every declaration kyaml reads
// (runtimeutil.GetFunctionSpec) must be exactly that.
func (g *guard) function(file, where string, n *kyaml.RNode) error {
	kind, name := n.GetKind(), n.GetName()
	declared := map[string]string{}
	for _, key := range functionAnnotations {
		if v, err := n.Pipe(kyaml.Lookup("metadata", "annotations", key)); err == nil && v != nil {
			declared["metadata.annotations["+key+"]"] = v.YNode().Value
		}
	}
	if v, err := n.Pipe(kyaml.Lookup("metadata", "configFn")); err == nil && v != nil {
		s, _ := v.String()
		declared["metadata.configFn"] = s
	}
	spec, err := runtimeutil.GetFunctionSpec(n)
	if err != nil {
		return g.refuse(file, where, "the function of %s %q cannot be parsed: %v", kind, name, err)
	}
	if len(declared) == 0 && spec == nil {
		return nil // a builtin, or a legacy plugin from the operator's plugin home
	}
	if img, ok := declared["metadata.annotations[config.kubernetes.io/container]"]; ok {
		return g.refuse(file, where, "metadata.annotations[config.kubernetes.io/container] of %s %q names container %q; "+
			"only `exec: {path: %s}` may run", kind, name, img, FunctionPath)
	}
	switch {
	case spec == nil:
		return g.refuse(file, where, "the function annotation of %s %q is empty", kind, name)
	case spec.Container.Image != "":
		return g.refuse(file, where, "%s %q names container %q; only `exec: {path: %s}` may run", kind, name, spec.Container.Image, FunctionPath)
	case spec.Exec.Path != FunctionPath:
		return g.refuse(file, where, "%s %q names exec path %q; only `exec: {path: %s}` may run "+
			"(a bare name, found on the operator's PATH)", kind, name, spec.Exec.Path, FunctionPath)
	case len(spec.Exec.Args) > 0 || len(spec.Exec.Env) > 0:
		return g.refuse(file, where, "%s %q gives the exec function args or envs; only `exec: {path: %s}` may run", kind, name, FunctionPath)
	}
	fields := make([]string, 0, len(declared))
	for field := range declared {
		fields = append(fields, field)
	}
	sort.Strings(fields)
	for _, field := range fields {
		raw := declared[field]
		var exact struct {
			Exec struct {
				Path string `json:"path"`
			} `json:"exec"`
		}
		if err := yaml.UnmarshalStrict([]byte(raw), &exact); err != nil || (strings.TrimSpace(raw) != "" && exact.Exec.Path != FunctionPath) {
			return g.refuse(file, where, "%s of %s %q is not exactly `exec: {path: %s}`", field, kind, name, FunctionPath)
		}
	}
	return nil
}
