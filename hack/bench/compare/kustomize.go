package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/hack/bench/workload"
)

// kustomizeBench times `kustomize build --enable-alpha-plugins
// --enable-exec` of the example with the function found on PATH as
// clusterpair-fn: the current binary, the lean prototype, and a trivial
// exec generator (a shell script that cats the ResourceList the function
// prints for this very input, captured beforehand).
func kustomizeBench(ctx context.Context, repo, ws string, bins []*binary, env []string, o options) ([]*series, error) {
	kz := filepath.Join(repo, "bin", "kustomize")
	if _, err := os.Stat(kz); err != nil {
		return nil, fmt.Errorf("%s missing (make tools)", relTo(repo, kz))
	}
	var current *binary
	for _, b := range bins {
		if b.role == roleFull {
			current = b
		}
	}
	if current == nil {
		return nil, fmt.Errorf("the full binary did not build")
	}
	base := filepath.Join(ws, "kustomize")
	dir := filepath.Join(base, "example")
	if err := workload.CopyExample(repo, dir); err != nil {
		return nil, err
	}
	pathDir := func(variant, script, target string) (string, error) {
		d := filepath.Join(base, "path-"+variant)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", err
		}
		exe := filepath.Join(d, "clusterpair-fn")
		if script != "" {
			return d, os.WriteFile(exe, []byte(script), 0o755)
		}
		return d, os.Symlink(target, exe)
	}
	build := func(pathFirst string) job {
		return job{argv: []string{kz, "build", "--enable-alpha-plugins", "--enable-exec", dir}, dir: base, env: withPath(env, pathFirst)}
	}

	// Capture the input kustomize gives the function, and the output.
	captured := filepath.Join(base, "captured-input.yaml")
	capDir, err := pathDir("capture", fmt.Sprintf("#!/bin/sh\ntee '%s' | '%s' \"$@\"\n", captured, current.path), "")
	if err != nil {
		return nil, err
	}
	_, want, err := runOnce(ctx, build(capDir), time.Minute, true)
	if err != nil {
		return nil, fmt.Errorf("kustomize build with the function: %v", err)
	}
	_, rendered, err := runOnce(ctx, job{argv: []string{current.path}, dir: dir, stdin: captured, env: env}, time.Minute, true)
	if err != nil {
		return nil, fmt.Errorf("rendering the captured input: %v", err)
	}
	renderedPath := filepath.Join(base, "rendered-resourcelist.yaml")
	if err := os.WriteFile(renderedPath, rendered, 0o644); err != nil {
		return nil, err
	}

	var names []string
	var jobs []job
	trivial, err := pathDir("trivial", fmt.Sprintf("#!/bin/sh\nexec cat '%s'\n", renderedPath), "")
	if err != nil {
		return nil, err
	}
	names, jobs = append(names, "trivial generator"), append(jobs, build(trivial))
	for _, b := range bins {
		if b.role == roleFloor {
			continue
		}
		d, err := pathDir(b.name, "", b.path)
		if err != nil {
			return nil, err
		}
		names, jobs = append(names, b.name), append(jobs, build(d))
	}
	for i, j := range jobs {
		_, got, err := runOnce(ctx, j, time.Minute, true)
		if err != nil {
			return nil, fmt.Errorf("kustomize build with %s: %v", names[i], err)
		}
		if !bytes.Equal(got, want) {
			return nil, fmt.Errorf("kustomize build with %s prints something else than with the function", names[i])
		}
	}
	logf("kustomize build: %d interleaved runs of %d generators", o.kustomizeRuns, len(jobs))
	return interleave(ctx, names, jobs, o.warmup, o.kustomizeRuns, o.timeout), nil
}

func withPath(env []string, first string) []string {
	out := make([]string, 0, len(env)+1)
	path := os.Getenv("PATH")
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			path = strings.TrimPrefix(kv, "PATH=")
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+first+string(os.PathListSeparator)+path)
}
