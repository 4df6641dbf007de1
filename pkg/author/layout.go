package author

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"
)

// Layouts of the pair directory New writes (--layout).
const (
	// LayoutKustomize: the request as an exec generator of kustomization.yaml,
	// the encrypted inputs next to it.
	LayoutKustomize = "kustomize"
	// LayoutKpt: a kpt package rendered in place (kpt fn render): a Kptfile
	// pipeline, the encrypted inputs under secrets/ listed in .krmignore,
	// and output.encrypt so that nothing plaintext is written back.
	LayoutKpt = "kpt"
	// LayoutFlux: rendered in CI for Flux: output.encrypt for the cluster's
	// recipients, output.file where the rendered file is committed, the
	// inputs under secrets/, and the CI render script.
	LayoutFlux = "flux"
)

// Layouts lists the layouts New accepts.
var Layouts = []string{LayoutKustomize, LayoutKpt, LayoutFlux}

// Files only the kpt and flux layouts write.
const (
	// SecretsDir holds the encrypted inputs in the kpt and flux layouts.
	SecretsDir = "secrets"
	// KptfileFile is the kpt package's Kptfile.
	KptfileFile = "Kptfile"
	// KrmignoreFile keeps secrets/ out of kpt's view.
	KrmignoreFile = ".krmignore"
	// RenderScriptFile renders the flux layout in CI.
	RenderScriptFile = "render.sh"
	// RenderedFile is where the flux layout's encrypted output is committed.
	RenderedFile = "rendered/clusterpair.yaml"
	// RenderedDir holds, with a reverse pair, each side's encrypted output
	// of the flux layout in a directory of its own (SIDE/clusterpair.yaml),
	// for each cluster's Flux Kustomization.
	RenderedDir = "rendered"
)

// renderedFile is where the flux layout commits the output of a side of a
// bidirectional request.
func renderedFile(side v1alpha1.Side) string {
	return path.Join(RenderedDir, string(side), RequestFile)
}

// layout says where a layout puts the inputs and what else it writes.
type layout string

func parseLayout(s string) (layout, error) {
	if s == "" {
		return LayoutKustomize, nil
	}
	if !slices.Contains(Layouts, s) {
		return "", fmt.Errorf("--layout %q: use %s", s, strings.Join(Layouts, ", "))
	}
	return layout(s), nil
}

// input is the path of an encrypted input file inside the pair directory
// (slash-separated, as the request names it).
func (l layout) input(name string) string {
	if l == LayoutKustomize {
		return name
	}
	return path.Join(SecretsDir, name)
}

// encryptsOutput reports whether the request gets output.encrypt.
func (l layout) encryptsOutput() bool { return l != LayoutKustomize }

// outputFile is the request's output.file ("" for none).
func (l layout) outputFile() string {
	if l == LayoutFlux {
		return RenderedFile
	}
	return ""
}

// extraFiles are the public files of the layout besides the request and
// the inputs, in the order they are listed; reverse is whether the request
// has a reverse pair.
func (l layout) extraFiles(name string, reverse bool) []outFile {
	switch l {
	case LayoutKpt:
		return []outFile{
			{name: KptfileFile, data: kptfileYAML(name)},
			{name: KrmignoreFile, data: []byte("# SOPS-encrypted inputs are not KRM objects (their apiVersion and kind are\n# ciphertext): keep them out of kpt's view. The function reads them itself.\n" + SecretsDir + "/\n")},
		}
	case LayoutFlux:
		script := renderScript()
		if reverse {
			script = renderBothSidesScript()
		}
		return []outFile{{name: KustomizationFile, data: kustomizationYAML(reverse)}, {name: RenderScriptFile, data: script}}
	}
	return []outFile{{name: KustomizationFile, data: kustomizationYAML(reverse)}}
}

// names are every file the layout writes, given the encrypted inputs.
func (l layout) names(name string, inputs []input, reverse bool) []string {
	out := []string{RequestFile}
	for _, in := range inputs {
		out = append(out, in.name)
	}
	for _, f := range l.extraFiles(name, reverse) {
		out = append(out, f.name)
	}
	return out
}

func kptfileYAML(name string) []byte {
	return []byte(`# Render in place: kpt fn render --allow-exec DIR (from any directory).
# The rendered ClusterPair is SOPS-encrypted (spec.output.encrypt).
apiVersion: kpt.dev/v1
kind: Kptfile
metadata:
  name: ` + name + `
  annotations:
    config.kubernetes.io/local-config: "true"
info:
  description: "A Stork ClusterPair rendered in place by clusterpair-fn, SOPS-encrypted."
pipeline:
  mutators:
    - exec: clusterpair-fn
      configPath: ` + RequestFile + "\n")
}

// refuseLinks is the render scripts' guard: the directory is written by
// whoever may change the request, and a symlinked rendered/ or output file
// would make the CI job, which holds the key, write wherever it points.
// refuse_links PATH... fails on any PATH that is a symbolic link, and on
// the last one if it exists and is not a regular file.
const refuseLinks = `# Write nothing through a symbolic link: this directory is written by whoever
# may change the request, and a symlinked ` + RenderedDir + `/ or output file would make
# this job, which holds the key, write wherever it points.
refuse_links() {
  for p in "$@"; do
    if [ -L "$p" ]; then
      echo "render.sh: ${p#"$here/"} is a symbolic link: refusing to write through it" >&2
      exit 1
    fi
  done
  if [ -e "$p" ] && [ ! -f "$p" ]; then
    echo "render.sh: ${p#"$here/"} is not a regular file" >&2
    exit 1
  fi
}
`

func renderScript() []byte {
	return []byte(`#!/usr/bin/env bash
# Re-renders the encrypted ClusterPair Flux applies: run it in CI on every
# change to this directory, with the renderer's key in SOPS_AGE_KEY or
# SOPS_AGE_KEY_FILE, and commit ` + RenderedFile + ` if it changed. Unchanged
# inputs keep the committed ciphertext byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
` + refuseLinks + `out="$here/` + RenderedFile + `"
refuse_links "$here/` + RenderedDir + `" "$out"
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$(dirname "$out")/.clusterpair.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# --require-encrypted: every rendered object must be SOPS-encrypted, or
# nothing is written (a request without spec.output.encrypt fails the run).
clusterpair-fn build --require-encrypted "$here" > "$tmp"
mv "$tmp" "$out"
trap - EXIT
`)
}

// renderBothSidesScript is renderScript for a bidirectional request: each
// side is rendered into its own directory.
func renderBothSidesScript() []byte {
	sides := string(v1alpha1.SideSource) + " " + string(v1alpha1.SideDestination)
	return []byte(`#!/usr/bin/env bash
# Re-renders the encrypted ClusterPairs Flux applies, one per cluster: run it
# in CI on every change to this directory, with the renderer's key in
# SOPS_AGE_KEY or SOPS_AGE_KEY_FILE, and commit ` + RenderedDir + `/ if it changed.
# The source cluster's Flux Kustomization applies ` + path.Dir(renderedFile(v1alpha1.SideSource)) + `/, the
# destination cluster's ` + path.Dir(renderedFile(v1alpha1.SideDestination)) + `/. Unchanged inputs keep the
# committed ciphertext byte for byte.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
` + refuseLinks + `for side in ` + sides + `; do
  refuse_links "$here/` + RenderedDir + `" "$here/` + RenderedDir + `/$side" "$here/` + RenderedDir + `/$side/` + RequestFile + `"
done
for side in ` + sides + `; do
  out="$here/` + RenderedDir + `/$side/` + RequestFile + `"
  mkdir -p "$(dirname "$out")"
  tmp=$(mktemp "$(dirname "$out")/.clusterpair.XXXXXX")
  trap 'rm -f "$tmp"' EXIT
  CLUSTERPAIR_SIDE=$side clusterpair-fn build --require-encrypted "$here" > "$tmp"
  mv "$tmp" "$out"
  trap - EXIT
done
`)
}

// writeLayout writes files, some of them in subdirectories of dir, after
// checking every target: each directory's files are written all or
// nothing (writeFiles), dir itself last so that the request never names an
// input that is missing.
func writeLayout(dir string, files []outFile, force bool) error {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	if err := checkLayoutTargets(dir, names, force); err != nil {
		return err
	}
	byDir := map[string][]outFile{}
	var dirs []string
	for _, f := range files {
		sub, base := path.Split(f.name)
		if _, seen := byDir[sub]; !seen {
			dirs = append(dirs, sub)
		}
		byDir[sub] = append(byDir[sub], outFile{name: base, data: f.data})
	}
	slices.SortStableFunc(dirs, func(a, b string) int { return strings.Compare(b, a) }) // "" last
	for _, sub := range dirs {
		if err := writeFiles(filepath.Join(dir, filepath.FromSlash(sub)), byDir[sub], force); err != nil {
			return err
		}
	}
	return nil
}

// layout checks Layout and OutputAge for a request with or without a
// reverse pair.
func (o Options) layout(reverse bool) (layout, error) {
	l, err := parseLayout(o.Layout)
	if err != nil {
		return "", err
	}
	if reverse && l == LayoutKpt {
		return "", fmt.Errorf("--reverse-kubeconfig is for --layout kustomize or flux: kpt fn render writes one rendering back into the package, and a bidirectional request renders one per cluster")
	}
	if !l.encryptsOutput() {
		if len(o.OutputAge) > 0 {
			return "", fmt.Errorf("--output-age is for --layout kpt or flux (the kustomize layout renders to stdout)")
		}
		return l, nil
	}
	if len(o.outputAge()) == 0 {
		return "", fmt.Errorf("--layout %s writes spec.output.encrypt: give its age recipients with --output-age (the cluster's and the renderer's keys) or --age", l)
	}
	return l, nil
}

// outputAge are the recipients of the rendered output: --output-age, else --age.
func (o Options) outputAge() []string {
	if len(o.OutputAge) > 0 {
		return o.OutputAge
	}
	return o.Age
}

// checkLayoutTargets runs checkTargets on each directory of names.
func checkLayoutTargets(dir string, names []string, force bool) error {
	byDir := map[string][]string{}
	var dirs []string
	for _, n := range names {
		sub, base := path.Split(n)
		if _, seen := byDir[sub]; !seen {
			dirs = append(dirs, sub)
		}
		byDir[sub] = append(byDir[sub], base)
	}
	for _, sub := range dirs {
		if err := checkTargets(filepath.Join(dir, filepath.FromSlash(sub)), byDir[sub], force); err != nil {
			return err
		}
	}
	return nil
}
