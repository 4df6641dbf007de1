package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sdk "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"

	"github.com/clusterpair-fn/clusterpair-fn/hack/bench/workload"
)

// Generator names in the kustomize section.
const (
	pairOnlyName = "pair-only generator"
	goFloorName  = "fn-SDK pair-only generator"
	echoName     = "generator echoing the request"
)

// kustomizeResult is what the kustomize section of the report shows.
type kustomizeResult struct {
	// builds are whole `kustomize build` runs, one series per generator.
	builds []*series
	// phases are the same builds with the generator wrapped by stamp.
	phases []*phaseSeries
	// outputBytes is the size of what each generator prints.
	outputBytes map[string]int
}

// phaseSeries splits the builds of one generator into the time before the
// generator starts, the generator's run and the time after it exits.
type phaseSeries struct {
	name          string
	pre, fn, post []time.Duration
	failed        error
}

// kustomizeBench times `kustomize build --enable-alpha-plugins
// --enable-exec` of the example with the generator found on PATH as
// clusterpair-fn: the floor (a shell script printing a ResourceList of only
// the objects the function renders, what any generator must emit), the same
// as a Go program built with the fn SDK that parses its input (what any Go
// KRM function pays before rendering: hack/bench/floorgen), a script
// printing what the function printed before issue 17 (the rendered objects
// plus kustomize's copy of the request), and the two builds of the function.
// All must make kustomize print the same bytes. Whole builds are timed
// first, then the same builds with the generator wrapped by hack/bench/stamp
// for the split into before, during and after the generator.
func kustomizeBench(ctx context.Context, repo, ws string, bins []*binary, env []string, o options) (*kustomizeResult, error) {
	kz := filepath.Join(repo, "bin", "kustomize")
	if _, err := os.Stat(kz); err != nil {
		return nil, fmt.Errorf("%s missing (make tools)", relTo(repo, kz))
	}
	var lean *binary
	for _, b := range bins {
		if b.role == roleLean {
			lean = b
		}
	}
	if lean == nil {
		return nil, fmt.Errorf("the lean binary did not build")
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
	build := func(pathFirst string, extraEnv ...string) job {
		return job{argv: []string{kz, "build", "--enable-alpha-plugins", "--enable-exec", dir}, dir: base, env: append(withPath(env, pathFirst), extraEnv...)}
	}

	// Capture the input kustomize gives the function, and its output.
	captured := filepath.Join(base, "captured-input.yaml")
	capDir, err := pathDir("capture", fmt.Sprintf("#!/bin/sh\ntee '%s' | '%s' \"$@\"\n", captured, lean.path), "")
	if err != nil {
		return nil, err
	}
	_, want, err := runOnce(ctx, build(capDir), time.Minute, true)
	if err != nil {
		return nil, fmt.Errorf("kustomize build with the function: %v", err)
	}
	_, rendered, err := runOnce(ctx, job{argv: []string{lean.path}, dir: dir, stdin: captured, env: env}, time.Minute, true)
	if err != nil {
		return nil, fmt.Errorf("rendering the captured input: %v", err)
	}
	input, err := os.ReadFile(captured)
	if err != nil {
		return nil, err
	}
	pairOnly, echoing, err := floorOutputs(input, rendered)
	if err != nil {
		return nil, err
	}

	res := &kustomizeResult{outputBytes: map[string]int{pairOnlyName: len(pairOnly), goFloorName: len(pairOnly), echoName: len(echoing), lean.name: len(rendered)}}
	var names, targets []string
	var envs [][]string
	for _, g := range []struct {
		name, file string
		out        []byte
	}{{pairOnlyName, "pair-only.yaml", pairOnly}, {echoName, "echoing.yaml", echoing}} {
		p := filepath.Join(base, g.file)
		if err := os.WriteFile(p, g.out, 0o644); err != nil {
			return nil, err
		}
		script := filepath.Join(base, strings.TrimSuffix(g.file, ".yaml")+".sh")
		if err := os.WriteFile(script, []byte(fmt.Sprintf("#!/bin/sh\nexec cat '%s'\n", p)), 0o755); err != nil {
			return nil, err
		}
		names, targets, envs = append(names, g.name), append(targets, script), append(envs, nil)
		if g.name == pairOnlyName {
			floorgen := filepath.Join(ws, "bin", "floorgen")
			if _, err := goCmd(ctx, repo, "build", "-trimpath", "-ldflags", "-s -w", "-o", floorgen, "./hack/bench/floorgen"); err != nil {
				return nil, fmt.Errorf("building hack/bench/floorgen: %v", err)
			}
			names, targets, envs = append(names, goFloorName), append(targets, floorgen), append(envs, []string{"FLOORGEN_OUTPUT=" + p})
		}
	}
	for _, b := range bins {
		if b.role != roleFloor {
			names, targets, envs = append(names, b.name), append(targets, b.path), append(envs, nil)
		}
	}
	var jobs []job
	for i, name := range names {
		d, err := pathDir(strings.ReplaceAll(name, " ", "-"), "", targets[i])
		if err != nil {
			return nil, err
		}
		j := build(d, envs[i]...)
		_, got, err := runOnce(ctx, j, time.Minute, true)
		if err != nil {
			return nil, fmt.Errorf("kustomize build with %s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			return nil, fmt.Errorf("kustomize build with %s prints something else than with the function", name)
		}
		jobs = append(jobs, j)
	}
	logf("kustomize build: %d interleaved runs of %d generators", o.kustomizeRuns, len(jobs))
	res.builds = interleave(ctx, names, jobs, o.warmup, o.kustomizeRuns, o.timeout)

	// The same builds, the generator wrapped by stamp.
	stamp := filepath.Join(ws, "bin", "stamp")
	if _, err := goCmd(ctx, repo, "build", "-trimpath", "-ldflags", "-s -w", "-o", stamp, "./hack/bench/stamp"); err != nil {
		return res, fmt.Errorf("building hack/bench/stamp: %v", err)
	}
	stampDir, err := pathDir("stamp", "", stamp)
	if err != nil {
		return res, err
	}
	var stamped []job
	var files []string
	for i := range names {
		file := filepath.Join(base, fmt.Sprintf("stamps-%d.txt", i))
		files = append(files, file)
		stamped = append(stamped, build(stampDir, append([]string{"STAMP_TARGET=" + targets[i], "STAMP_FILE=" + file}, envs[i]...)...))
	}
	logf("kustomize build, split: %d interleaved runs of %d generators", o.kustomizeRuns, len(jobs))
	res.phases = interleavePhases(ctx, names, stamped, files, o.warmup, o.kustomizeRuns, o.timeout)
	return res, nil
}

// floorOutputs derives the two scripted generators' output from the
// function's: only its rendered objects (no request, no functionConfig),
// and those plus kustomize's copy of the request from the input, first, as
// the function printed before it returned only what it generated.
func floorOutputs(input, rendered []byte) (pairOnly, echoing []byte, err error) {
	in, err := sdk.ParseResourceList(input)
	if err != nil {
		return nil, nil, fmt.Errorf("the captured input: %v", err)
	}
	out, err := sdk.ParseResourceList(rendered)
	if err != nil {
		return nil, nil, fmt.Errorf("the function's output: %v", err)
	}
	var objects sdk.KubeObjects
	for _, it := range out.Items {
		if it.GetKind() != "ClusterPairRequest" {
			objects = append(objects, it)
		}
	}
	if len(objects) == 0 || len(objects) != len(out.Items) {
		return nil, nil, fmt.Errorf("the function's output in a kustomize generator run should be only rendered objects; it has %d items, %d rendered", len(out.Items), len(objects))
	}
	// The SDK leaves an empty functionConfig out.
	pairOnly, err = (&sdk.ResourceList{Items: objects, FunctionConfig: sdk.NewEmptyKubeObject()}).ToYAML()
	if err != nil {
		return nil, nil, err
	}
	echo := &sdk.ResourceList{Items: append(append(sdk.KubeObjects{}, in.Items...), objects...), FunctionConfig: out.FunctionConfig}
	echoing, err = echo.ToYAML()
	return pairOnly, echoing, err
}

// interleavePhases runs the stamped builds like interleave, and splits each
// build at the generator's start and exit as stamp recorded them.
func interleavePhases(ctx context.Context, names []string, jobs []job, files []string, warmup, runs int, timeout time.Duration) []*phaseSeries {
	out := make([]*phaseSeries, len(jobs))
	for i := range jobs {
		out[i] = &phaseSeries{name: names[i]}
	}
	for round := -warmup; round < runs; round++ {
		for k := range jobs {
			i := (k + round + warmup) % len(jobs)
			s := out[i]
			if s.failed != nil {
				continue
			}
			pre, run, post, err := runStamped(ctx, jobs[i], files[i], timeout)
			switch {
			case err != nil:
				s.failed = err
			case round >= 0:
				s.pre, s.fn, s.post = append(s.pre, pre), append(s.fn, run), append(s.post, post)
			}
		}
	}
	return out
}

// runStamped runs one stamped build and returns the time from its start to
// the generator's start, the generator's run, and the time from the
// generator's exit to the build's exit (wall clock in both processes).
func runStamped(ctx context.Context, j job, file string, timeout time.Duration) (pre, run, post time.Duration, err error) {
	if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, j.argv[0], j.argv[1:]...)
	cmd.Dir, cmd.Env = j.dir, j.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now().UnixNano()
	err = cmd.Run()
	end := time.Now().UnixNano()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%v: %s", err, oneLine(stderr.String()))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("no stamp from the generator: %v", err)
	}
	f := strings.Fields(string(data))
	if len(f) != 2 {
		return 0, 0, 0, fmt.Errorf("the generator ran %d times in one build", len(f)/2)
	}
	s, err1 := strconv.ParseInt(f[0], 10, 64)
	e, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil || s < start || e < s || end < e {
		return 0, 0, 0, fmt.Errorf("bad stamp %q", strings.TrimSpace(string(data)))
	}
	return time.Duration(s - start), time.Duration(e - s), time.Duration(end - e), nil
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
