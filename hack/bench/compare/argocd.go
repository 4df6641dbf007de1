package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/hack/bench/workload"
)

// Plugin names in the Argo CD section.
const (
	argoPluginName = "clusterpair-fn" // examples/argocd/cmp/plugin.yaml
	argoCatName    = "cat-rendered"   // prints the pre-rendered objects
	argoDirectName = "clusterpair-fn build, without Argo CD"
	argoAppPath    = "pairs/example" // spec.source.path in the checkout
	argoTarExclude = "*.md"          // as examples/argocd's repo-server
)

// argocdResult is what the Argo CD section of the report shows.
type argocdResult struct {
	version       string
	series        []*series
	renderedBytes int
	manifests     int
	sha256        string
}

// checkArgoCD fails early, before minutes of other measurements, when the
// Argo CD binary is missing: the section is part of every run.
func checkArgoCD(path string) error {
	if path == "" {
		return fmt.Errorf("-argocd is required: the Argo CD binary of test/gitops/argocd (`make bench` builds it with `make argocd-tool` and passes it)")
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("the Argo CD binary %s is missing (`make argocd-tool` builds it; `make bench` depends on it): %v", path, err)
	}
	if st.Mode()&0o111 == 0 {
		return fmt.Errorf("the Argo CD binary %s is not executable", path)
	}
	return nil
}

// argocdBench times one pair rendered through the real argocd-cmp-server,
// called as argocd-repo-server calls it: the `cmp` subcommand of the Argo CD
// tools binary (test/gitops/argocd) dials each plugin's socket, checks its
// configuration and streams the checkout's tarball and the repo-server's
// environment over the GenerateManifest stream, with Argo CD's own client
// code. Two sidecars run side by side, each its own argocd-cmp-server: the
// example's plugin (`clusterpair-fn build --refuse-encrypted .`, the lean
// binary and kustomize on PATH, the demo key) and a floor plugin whose
// generate command is `cat rendered.yaml`, the same objects pre-rendered into
// the app directory. Both must return the same manifests. For scale, the
// plugin's command also runs directly, without Argo CD. Rounds are
// interleaved (the order rotates); one long-lived client makes the plugin
// calls, each timed inside it from the dial to the response.
func argocdBench(ctx context.Context, repo, ws, argocd string, lean *binary, env []string, o options) (*argocdResult, error) {
	if err := checkArgoCD(argocd); err != nil {
		return nil, err
	}
	if lean == nil || lean.err != nil {
		return nil, fmt.Errorf("the lean binary did not build")
	}
	kz := filepath.Join(repo, "bin", "kustomize")
	if _, err := os.Stat(kz); err != nil {
		return nil, fmt.Errorf("%s missing (make tools)", relTo(repo, kz))
	}
	res := &argocdResult{}
	out, err := exec.CommandContext(ctx, argocd, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version: %v", argocd, err)
	}
	res.version = strings.TrimSpace(string(out))

	base := filepath.Join(ws, "argocd")
	checkout := filepath.Join(base, "repo")
	appDir := filepath.Join(checkout, filepath.FromSlash(argoAppPath))
	if err := workload.CopyExample(repo, appDir); err != nil {
		return nil, err
	}
	// The sidecar image's PATH: clusterpair-fn (lean) and kustomize.
	sidecarBin := filepath.Join(base, "sidecar-bin")
	if err := os.MkdirAll(sidecarBin, 0o755); err != nil {
		return nil, err
	}
	for name, target := range map[string]string{"clusterpair-fn": lean.path, "kustomize": kz} {
		if err := os.Symlink(target, filepath.Join(sidecarBin, name)); err != nil {
			return nil, err
		}
	}
	sidecarEnv := withPath(env, sidecarBin)
	// The floor's input: what the example's plugin prints for this
	// directory, rendered once by the same command.
	gen := exec.CommandContext(ctx, lean.path, "build", "--refuse-encrypted", ".")
	gen.Dir, gen.Env = appDir, sidecarEnv
	var stderr bytes.Buffer
	gen.Stderr = &stderr
	rendered, err := gen.Output()
	if err != nil {
		return nil, fmt.Errorf("clusterpair-fn build in %s: %v\n%s", relTo(repo, appDir), err, stderr.String())
	}
	if !bytes.Contains(rendered, []byte("kind: ClusterPair\n")) {
		return nil, fmt.Errorf("clusterpair-fn build printed no ClusterPair")
	}
	res.renderedBytes = len(rendered)
	if err := os.WriteFile(filepath.Join(appDir, "rendered.yaml"), rendered, 0o644); err != nil {
		return nil, err
	}

	examplePlugin, err := os.ReadFile(filepath.Join(repo, "examples", "argocd", "cmp", "plugin.yaml"))
	if err != nil {
		return nil, err
	}
	catPlugin := []byte("apiVersion: argoproj.io/v1alpha1\nkind: ConfigManagementPlugin\nmetadata:\n  name: " + argoCatName +
		"\nspec:\n  generate:\n    command: [cat, rendered.yaml]\n")
	sockDir := filepath.Join(base, "plugins")
	if err := os.MkdirAll(sockDir, 0o755); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		name   string
		config []byte
	}{{argoPluginName, examplePlugin}, {argoCatName, catPlugin}} {
		stop, err := startCMPServer(ctx, argocd, base, sockDir, p.name, p.config, sidecarEnv)
		if err != nil {
			return nil, err
		}
		defer stop()
	}

	runs, warmup := o.argocdRuns, o.warmup
	logf("Argo CD (%s): %d interleaved rounds of 2 plugins through argocd-cmp-server and the command alone", res.version, runs)
	// One long-lived client, as the repo-server is one: it makes a call for
	// each plugin name it reads and prints the call's time at once, so that
	// the direct runs interleave with its calls.
	client := exec.CommandContext(ctx, argocd, "cmp", "-stdin", "-repo-path", checkout, "-path", argoAppPath, "-project", "clusterpairs",
		"-app", "clusterpair-example", "-tar-exclude", argoTarExclude, "-plugin", argoPluginName, "-plugin", argoCatName)
	client.Dir = base
	client.Env = append(withPath(env, sidecarBin), "ARGOCD_PLUGINSOCKFILEPATH="+sockDir)
	var clientErr bytes.Buffer
	client.Stderr = &clientErr
	toClient, err := client.StdinPipe()
	if err != nil {
		return nil, err
	}
	fromClient, err := client.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := client.Start(); err != nil {
		return nil, fmt.Errorf("argocd cmp: %v", err)
	}
	defer func() { _ = toClient.Close(); _ = client.Wait() }()
	results := bufio.NewScanner(fromClient)
	viaCMP := func(plugin string) (time.Duration, error) {
		if _, err := fmt.Fprintln(toClient, plugin); err != nil {
			return 0, fmt.Errorf("argocd cmp: %v\n%s", err, clientErr.String())
		}
		if !results.Scan() {
			return 0, fmt.Errorf("argocd cmp -plugin %s: no result: %v\n%s", plugin, results.Err(), clientErr.String())
		}
		var c struct {
			Seconds   float64 `json:"seconds"`
			Manifests int     `json:"manifests"`
			SHA256    string  `json:"sha256"`
		}
		if err := json.Unmarshal(results.Bytes(), &c); err != nil {
			return 0, fmt.Errorf("argocd cmp printed %q: %v", results.Text(), err)
		}
		switch {
		case c.Manifests == 0:
			return 0, fmt.Errorf("plugin %s returned no manifests", plugin)
		case res.sha256 == "":
			res.sha256, res.manifests = c.SHA256, c.Manifests
		case c.SHA256 != res.sha256 || c.Manifests != res.manifests:
			return 0, fmt.Errorf("the plugins' outputs DIFFER: %s returned %d manifests (sha256 %s), expected %d (%s)",
				plugin, c.Manifests, c.SHA256, res.manifests, res.sha256)
		}
		return time.Duration(c.Seconds * float64(time.Second)), nil
	}
	direct := job{argv: []string{lean.path, "build", "--refuse-encrypted", "."}, dir: appDir, env: sidecarEnv}
	res.series = []*series{{name: argoPluginName}, {name: argoCatName}, {name: argoDirectName}}
	for round := -warmup; round < runs; round++ {
		for k := range res.series {
			s := res.series[(k+round+warmup)%len(res.series)]
			var d time.Duration
			var err error
			if s.name == argoDirectName {
				var smp sample
				smp, _, err = runOnce(ctx, direct, o.timeout, false)
				d = smp.wall
			} else {
				d, err = viaCMP(s.name)
			}
			if err != nil {
				return nil, err
			}
			if round >= 0 {
				s.samples = append(s.samples, sample{wall: d})
			}
		}
	}
	return res, nil
}

// startCMPServer starts argocd-cmp-server with one plugin config and waits
// for its socket; stop kills its process group.
func startCMPServer(ctx context.Context, argocd, base, sockDir, name string, config []byte, env []string) (stop func(), err error) {
	configDir := filepath.Join(base, "config-"+name)
	tmp := filepath.Join(base, "tmp-"+name)
	for _, d := range []string{configDir, tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(configDir, "plugin.yaml"), config, 0o644); err != nil {
		return nil, err
	}
	logPath := filepath.Join(base, "cmp-server-"+name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, argocd, "--config-dir-path", configDir, "--loglevel", "warn")
	cmd.Env = append(env, "ARGOCD_BINARY_NAME=argocd-cmp-server", "ARGOCD_PLUGINSOCKFILEPATH="+sockDir,
		"ARGOCD_GPG_ENABLED=false", "TMPDIR="+tmp)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting argocd-cmp-server (%s): %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	stop = func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	sock := filepath.Join(sockDir, name+".sock")
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(sock); err == nil {
			return stop, nil
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("argocd-cmp-server (%s) exited during start-up:\n%s", name, log)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("argocd-cmp-server (%s) made no socket %s in a minute", name, sock)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// argocdSection writes the Argo CD plugin section.
func (r *report) argocdSection(w func(string, ...any)) {
	w("\n## Argo CD plugin: one pair through the real CMP server\n\n")
	a := r.argocd
	if a == nil {
		w("Not measured.\n")
		return
	}
	w("`%s`'s own `argocd-cmp-server`, two sidecars side by side, each called the way `argocd-repo-server` calls a plugin: the `cmp` subcommand of `test/gitops/argocd`'s binary uses Argo CD's client code (`discovery.DetectConfigManagementPlugin`, `CheckPluginConfiguration`, the `GenerateManifest` stream fed by `util/cmp.SendRepoStream` with the tarball of the checkout, `--plugin-tar-exclude '%s'`, and the repo-server's environment with `ARGOCD_APP_PROJECT_NAME`). The app directory is a copy of `examples/kustomize` (the demo key, a private HOME):\n\n", a.version, argoTarExclude)
	w("- **%s**: `examples/argocd/cmp/plugin.yaml`, `clusterpair-fn build --refuse-encrypted .` with the lean binary and kustomize on the sidecar's PATH;\n", argoPluginName)
	w("- **%s** (the floor): a plugin whose generate command is `cat rendered.yaml`, the same objects pre-rendered into the app directory (%d bytes): what any plugin serving this pair pays for Argo CD's dial, tarball, stream and extraction;\n", argoCatName, a.renderedBytes)
	w("- **%s**: for scale, the plugin's command run directly in the app directory (fork to exit), no Argo CD.\n\n", argoDirectName)
	w("Both plugins return the same %d manifests (checked on every call). %d interleaved rounds after %d warm-up rounds, the order rotating; the plugin calls come from one long-lived client, as from a repo-server, each timed in the client from the dial to the response.\n\n", a.manifests, r.opts.argocdRuns, r.opts.warmup)
	w("| plugin | min | median | max | median / floor | min / floor |\n|---|---:|---:|---:|---:|---:|\n")
	floor := find(a.series, argoCatName)
	for _, s := range a.series {
		lo, hi := minMax(s.walls())
		flo, _ := minMax(floor.walls())
		w("| %s | %s | %s | %s | %.2f× | %.2f× |\n", s.name, fmtDur(lo), fmtDur(median(s.walls())), fmtDur(hi),
			float64(median(s.walls()))/float64(median(floor.walls())), float64(lo)/float64(flo))
	}
	if s := find(a.series, argoPluginName); s != nil {
		ratio := float64(median(s.walls())) / float64(median(floor.walls()))
		w("\nTarget ≤ 1.2× the `cat` floor: `%s` %.2f× — %s.", argoPluginName, ratio, verdict(ratio <= 1.2))
		if d := find(a.series, argoDirectName); d != nil {
			pm, fm, dm := median(s.walls()), median(floor.walls()), median(d.walls())
			w(" Argo CD's own share (the `cat` floor) is %s of the plugin's %s median; the command alone takes %s.", fmtDur(fm), fmtDur(pm), fmtDur(dm))
			if fm*4 < pm && dm*2 > pm {
				w(" So most of the plugin's time is `clusterpair-fn build` itself (kustomize, the function, decryption), not Argo CD: a ratio to `cat` measures the render, which no plugin config can take off.")
			}
		}
		w("\n")
	}
}
