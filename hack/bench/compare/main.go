// Command compare is the whole-process benchmark of `make bench`. It builds
// the do-nothing fn-SDK function (the floor), the current clusterpair-fn and
// the lean build, checks that the two renderers print the same bytes,
// then times them side by side with interleaved repetitions: one request
// (examples/kustomize), fleets of 10/100/1,000/10,000 requests in one
// ResourceList (time and peak memory), and `kustomize build` of the example
// against a floor generator printing only the pre-rendered pair, with the
// split of a build into before/during/after the generator. It also runs the
// Go benchmarks of the hot paths, times one pair through Argo CD's real
// argocd-cmp-server against a `cat` plugin (argocd.go; -argocd names the
// binary of test/gitops/argocd, which `make bench` builds first) and writes
// docs/benchmarks.md.
//
//	go run ./hack/bench/compare -argocd .cache/argocd/v3.6.2/argocd [-runs 30] [-fleet 10,100,1000,10000] [-out docs/benchmarks.md]
//	go run ./hack/bench/compare -argocd .cache/argocd/v3.6.2/argocd -only argocd   # that table alone, on stdout
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/hack/bench/workload"
)

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

type options struct {
	runs, warmup    int
	fleetSizes      []int
	fleetRunsSmall  int
	fleetRunsMedium int
	fleetRunsLarge  int
	timeout         time.Duration
	kustomizeRuns   int
	benchtime       string
	out             string
	workspace       string
	skipGoBench     bool
	skipKustomize   bool
	fullMaxFleet    int
	memorySizes     []int
	memoryTimeout   time.Duration
	argocd          string
	argocdRuns      int
	only            string
}

func main() {
	var o options
	var fleet string
	flag.IntVar(&o.runs, "runs", 30, "interleaved runs of each binary for one request")
	flag.IntVar(&o.warmup, "warmup", 3, "unrecorded warm-up rounds")
	flag.StringVar(&fleet, "fleet", "10,100,1000,10000", "fleet sizes (requests in one ResourceList)")
	flag.IntVar(&o.fleetRunsSmall, "fleet-runs-small", 10, "runs per fleet size up to 100")
	flag.IntVar(&o.fleetRunsMedium, "fleet-runs-medium", 3, "runs per fleet size up to 1,000")
	flag.IntVar(&o.fleetRunsLarge, "fleet-runs-large", 1, "runs per larger fleet size")
	flag.DurationVar(&o.timeout, "timeout", 100*time.Second, "per-run limit; a program over it (or expected over it) is not run at that size or larger")
	flag.IntVar(&o.fullMaxFleet, "full-max-fleet", 1000, "largest fleet the full build runs (it is not what renders fleets; its growth shows up to this size)")
	flag.IntVar(&o.kustomizeRuns, "kustomize-runs", 20, "interleaved kustomize builds per generator")
	flag.StringVar(&o.benchtime, "benchtime", "200ms", "go test -benchtime for the hot-path benchmarks")
	flag.StringVar(&o.out, "out", "docs/benchmarks.md", "report to write (relative to the repository)")
	flag.StringVar(&o.workspace, "workspace", "dist/bench", "binaries and inputs (relative to the repository)")
	flag.BoolVar(&o.skipGoBench, "skip-go-bench", false, "skip the Go benchmarks")
	flag.BoolVar(&o.skipKustomize, "skip-kustomize", false, "skip the kustomize comparison")
	var memory string
	flag.StringVar(&memory, "memory-fleet", "1000,10000", "fleet sizes at which the lean build always runs once, for its peak memory, even when its time rules it out above")
	flag.DurationVar(&o.memoryTimeout, "memory-timeout", 10*time.Minute, "limit of a memory run")
	flag.StringVar(&o.argocd, "argocd", "", "the Argo CD binary of test/gitops/argocd (required; `make argocd-tool` builds it)")
	flag.IntVar(&o.argocdRuns, "argocd-runs", 20, "interleaved rounds of the two Argo CD plugins")
	flag.StringVar(&o.only, "only", "", `"argocd": build the lean binary and run only the Argo CD table, printed on stdout (-out is not written)`)
	flag.Parse()
	if o.only != "" && o.only != "argocd" {
		logf("-only %q: the only table that runs alone is argocd", o.only)
		os.Exit(2)
	}
	for _, f := range strings.Split(memory, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			o.memorySizes = append(o.memorySizes, n)
		}
	}
	for _, f := range strings.Split(fleet, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			logf("bad fleet size %q", f)
			os.Exit(2)
		}
		o.fleetSizes = append(o.fleetSizes, n)
	}
	if err := run(o); err != nil {
		logf("%v", err)
		os.Exit(1)
	}
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// report is everything docs/benchmarks.md shows.
type report struct {
	started      time.Time
	elapsed      time.Duration
	machine      [][2]string
	bins         []*binary
	deps         map[string][]string
	depsErr      map[string]error
	identical    []string
	single       []*series
	singleRuns   int
	probes       []*series
	probeBins    []*binary
	fleet        []fleetResult
	kustomize    *kustomizeResult
	kustomizeErr error
	argocd       *argocdResult
	goBench      []benchGroup
	image        string
	runEnv       []string
	ws           string
	opts         options
}

type fleetResult struct {
	n      int
	series []*series
}

func run(o options) error {
	start := time.Now()
	ctx := context.Background()
	repo, err := repoRoot()
	if err != nil {
		return err
	}
	if o.argocd != "" && !filepath.IsAbs(o.argocd) {
		o.argocd = filepath.Join(repo, o.argocd)
	}
	// The Argo CD table is part of every run: no binary, no report.
	if err := checkArgoCD(o.argocd); err != nil {
		return err
	}
	ws := o.workspace
	if !filepath.IsAbs(ws) {
		ws = filepath.Join(repo, ws)
	}
	if err := os.RemoveAll(ws); err != nil {
		return err
	}
	if err := os.MkdirAll(ws, 0o755); err != nil {
		return err
	}
	r := &report{started: start, ws: ws, opts: o, deps: map[string][]string{}, depsErr: map[string]error{}}
	r.machine = machineInfo(ctx, repo)

	r.bins = plan()
	if o.only == "argocd" {
		return runArgoCDOnly(ctx, repo, ws, r)
	}
	buildAll(ctx, repo, ws, r.bins)
	for _, b := range r.bins {
		if b.role == roleFloor || b.err != nil {
			continue
		}
		d, err := cloudDeps(ctx, repo, append(b.buildArgs(), b.pkg)...)
		r.deps[b.name], r.depsErr[b.name] = d, err
	}

	// A private HOME and the demo key, nothing else of the host's keys.
	home := filepath.Join(ws, "home")
	_ = os.MkdirAll(home, 0o700)
	env := runEnv(home, filepath.Join(repo, "examples", "demo.agekey"))
	r.runEnv = append([]string{"HOME=" + relTo(repo, home), "XDG_CONFIG_HOME=" + relTo(repo, home), "SOPS_AGE_KEY_FILE=examples/demo.agekey"}, fleetLimits...)

	var ready []*binary
	for _, b := range r.bins {
		if b.err == nil {
			ready = append(ready, b)
		}
	}

	// One request, as kustomize passes it.
	singleDir := filepath.Join(ws, "single")
	if err := workload.CopyExample(repo, singleDir); err != nil {
		return err
	}
	in, err := workload.Single(repo)
	if err != nil {
		return err
	}
	singleIn := filepath.Join(singleDir, "input.yaml")
	if err := os.WriteFile(singleIn, in, 0o644); err != nil {
		return err
	}
	r.identical = append(r.identical, compareOutputs(ctx, ready, singleDir, singleIn, env, "one request")...)
	names, jobs := jobsFor(ready, singleDir, singleIn, env)
	logf("one request: %d interleaved runs of %d binaries", o.runs, len(jobs))
	r.single = interleave(ctx, names, jobs, o.warmup, o.runs, o.timeout)
	r.singleRuns = o.runs

	// Start-up cost of the lean build's dependencies.
	if probeBins, err := importProbes(repo, ws); err != nil {
		logf("import probes: %v", err)
	} else {
		buildAll(ctx, repo, ws, probeBins)
		var names []string
		var jobs []job
		var floor *binary
		for _, b := range r.bins {
			if b.role == roleFloor && b.err == nil {
				floor = b
			}
		}
		for _, b := range append([]*binary{floor}, probeBins...) {
			if b != nil && b.err == nil {
				names = append(names, b.name)
				jobs = append(jobs, job{argv: []string{b.path}, dir: singleDir, stdin: singleIn, env: env})
			}
		}
		logf("import probes: %d interleaved runs of %d binaries", o.runs, len(jobs))
		r.probes, r.probeBins = interleave(ctx, names, jobs, o.warmup, o.runs, o.timeout), probeBins
	}

	// Fleets. A program whose time at the previous size, extrapolated with
	// the growth it showed between the two sizes before (at least linear),
	// would pass the limit is not run at the next size.
	stopped := map[string]bool{}
	skipNote := map[string]string{}
	last := map[string]time.Duration{}
	before := map[string]time.Duration{}
	lastN, beforeN := 0, 0
	for _, n := range o.fleetSizes {
		dir := filepath.Join(ws, fmt.Sprintf("fleet-%d", n))
		in, err := workload.Fleet(repo, dir, n)
		if err != nil {
			return err
		}
		inPath := filepath.Join(dir, "input.yaml")
		if err := os.WriteFile(inPath, in, 0o644); err != nil {
			return err
		}
		if n <= 100 {
			r.identical = append(r.identical, compareOutputs(ctx, ready, dir, inPath, env, fmt.Sprintf("%d requests", n))...)
		}
		var bins []*binary
		for _, b := range ready {
			if stopped[b.name] {
				continue
			}
			if b.role == roleFull && n > o.fullMaxFleet {
				stopped[b.name] = true
				skipNote[b.name] = fmt.Sprintf("not run above %d requests (-full-max-fleet), to keep make bench short", o.fullMaxFleet)
				continue
			}
			if prev := last[b.name]; prev > 0 && lastN > 0 {
				k := growthExponent(before[b.name], beforeN, prev, lastN)
				if est := time.Duration(float64(prev) * math.Pow(float64(n)/float64(lastN), k)); est > o.timeout {
					stopped[b.name] = true
					skipNote[b.name] = fmt.Sprintf("not run: %s at %d requests extrapolates (growth n^%.1f) to about %s, over the %s limit", fmtDur(prev), lastN, k, est.Round(time.Second), o.timeout)
					continue
				}
			}
			bins = append(bins, b)
		}
		runs := o.fleetRunsLarge
		switch {
		case n <= 100:
			runs = o.fleetRunsSmall
		case n <= 1000:
			runs = o.fleetRunsMedium
		}
		names, jobs := jobsFor(bins, dir, inPath, env)
		logf("%d requests: %d runs of %d binaries", n, runs, len(jobs))
		res := fleetResult{n: n, series: interleave(ctx, names, jobs, min(1, o.warmup), runs, o.timeout)}
		for _, s := range res.series {
			if s.note != "" || s.failed != nil {
				stopped[s.name] = true
				skipNote[s.name] = "not run: over the limit at a smaller size"
			}
			if len(s.samples) > 0 {
				before[s.name] = last[s.name]
				last[s.name] = median(s.walls())
			}
		}
		beforeN, lastN = lastN, n
		for _, b := range ready {
			if stopped[b.name] && !contains(names, b.name) {
				res.series = append(res.series, &series{name: b.name, note: skipNote[b.name]})
			}
		}
		r.fleet = append(r.fleet, res)
	}
	r.memoryRuns(ctx, ready, env, o)

	if !o.skipKustomize {
		r.kustomize, r.kustomizeErr = kustomizeBench(ctx, repo, ws, ready, env, o)
	}
	var lean *binary
	for _, b := range r.bins {
		if b.role == roleLean {
			lean = b
		}
	}
	if r.argocd, err = argocdBench(ctx, repo, ws, o.argocd, lean, env, o); err != nil {
		return fmt.Errorf("the Argo CD plugin bench: %w", err)
	}
	if !o.skipGoBench {
		r.goBench = goBenchmarks(ctx, repo, r.bins, ws, o.benchtime)
	}
	r.image = imageSize(ctx)
	r.elapsed = time.Since(start)
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(repo, out)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(r.markdown(repo)), 0o644); err != nil {
		return err
	}
	logf("wrote %s in %s", relTo(repo, out), r.elapsed.Round(time.Second))
	return nil
}

// runArgoCDOnly is -only argocd: the lean binary, then the Argo CD table
// on stdout.
func runArgoCDOnly(ctx context.Context, repo, ws string, r *report) error {
	var lean *binary
	for _, b := range r.bins {
		if b.role == roleLean {
			lean = b
		}
	}
	buildAll(ctx, repo, ws, []*binary{lean})
	home := filepath.Join(ws, "home")
	_ = os.MkdirAll(home, 0o700)
	env := runEnv(home, filepath.Join(repo, "examples", "demo.agekey"))
	res, err := argocdBench(ctx, repo, ws, r.opts.argocd, lean, env, r.opts)
	if err != nil {
		return fmt.Errorf("the Argo CD plugin bench: %w", err)
	}
	r.argocd = res
	var b strings.Builder
	r.argocdSection(func(format string, args ...any) { fmt.Fprintf(&b, format, args...) })
	fmt.Print(b.String())
	return nil
}

// growthExponent is k in t ∝ n^k between two sizes, at least 1 (linear);
// with one size known, 2 (what a per-item scan of the ResourceList costs).
func growthExponent(t0 time.Duration, n0 int, t1 time.Duration, n1 int) float64 {
	if t0 <= 0 || n0 <= 0 || n1 <= n0 {
		return 2
	}
	return max(1, math.Log(float64(t1)/float64(t0))/math.Log(float64(n1)/float64(n0)))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func relTo(repo, p string) string {
	if rel, err := filepath.Rel(repo, p); err == nil {
		return rel
	}
	return p
}

// fleetLimits raise the function's per-run limits (2,000 requests, 64 MiB
// read) so that the largest fleet renders: the benchmark measures
// rendering, not the refusal.
var fleetLimits = []string{"CLUSTERPAIR_FN_MAX_REQUESTS=20000", "CLUSTERPAIR_FN_MAX_READ_BYTES=1073741824"}

// runEnv is the environment of the programs under test: the host's minus
// every key source, with a private HOME, the demo key and fleetLimits.
func runEnv(home, keyFile string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "HOME", name == "XDG_CONFIG_HOME", name == "GNUPGHOME":
		case strings.HasPrefix(name, "SOPS_"), strings.HasPrefix(name, "AWS_"), strings.HasPrefix(name, "VAULT_"),
			strings.HasPrefix(name, "AZURE_"), strings.HasPrefix(name, "GOOGLE_"), strings.HasPrefix(name, "CLUSTERPAIR_"):
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+home, "GNUPGHOME="+filepath.Join(home, ".gnupg"), "SOPS_AGE_KEY_FILE="+keyFile)
	return append(env, fleetLimits...)
}

func jobsFor(bins []*binary, dir, stdin string, env []string) ([]string, []job) {
	var names []string
	var jobs []job
	for _, b := range bins {
		names = append(names, b.name)
		jobs = append(jobs, job{argv: []string{b.path}, dir: dir, stdin: stdin, env: env})
	}
	return names, jobs
}

// compareOutputs runs the renderers once and checks that they print the
// same ResourceList.
func compareOutputs(ctx context.Context, bins []*binary, dir, stdin string, env []string, what string) []string {
	var ref []byte
	var refName string
	var notes []string
	for _, b := range bins {
		if b.role == roleFloor {
			continue
		}
		_, out, err := runOnce(ctx, job{argv: []string{b.path}, dir: dir, stdin: stdin, env: env}, 2*time.Minute, true)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %s fails: %v", what, b.name, err))
			continue
		}
		if !bytes.Contains(out, []byte("kind: ClusterPair\n")) {
			notes = append(notes, fmt.Sprintf("%s: %s renders no ClusterPair", what, b.name))
			continue
		}
		if ref == nil {
			ref, refName = out, b.name
			continue
		}
		if bytes.Equal(ref, out) {
			notes = append(notes, fmt.Sprintf("%s: %s and %s print identical output (%d bytes)", what, refName, b.name, len(out)))
		} else {
			notes = append(notes, fmt.Sprintf("%s: %s and %s outputs DIFFER", what, refName, b.name))
		}
	}
	return notes
}

func machineInfo(ctx context.Context, repo string) [][2]string {
	var info [][2]string
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				info = append(info, [2]string{"CPU", strings.TrimSpace(v)})
				break
			}
		}
	}
	info = append(info, [2]string{"Cores (runtime.NumCPU)", strconv.Itoa(runtime.NumCPU())})
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					info = append(info, [2]string{"Memory", fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))})
				}
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		info = append(info, [2]string{"Kernel", "Linux " + strings.TrimSpace(string(data))})
	}
	if out, err := goCmd(ctx, repo, "version"); err == nil {
		info = append(info, [2]string{"Go", strings.TrimSpace(string(out))})
	}
	if out, err := exec.CommandContext(ctx, filepath.Join(repo, "bin", "kustomize"), "version").Output(); err == nil {
		info = append(info, [2]string{"kustomize", strings.TrimSpace(string(out))})
	}
	if out, err := goCmd(ctx, repo, "list", "-m", "-f", "{{.Version}}", "github.com/getsops/sops/v3"); err == nil {
		info = append(info, [2]string{"sops library", strings.TrimSpace(string(out))})
	}
	if out, err := goCmd(ctx, repo, "list", "-m", "-f", "{{.Version}}", "github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"); err == nil {
		info = append(info, [2]string{"kpt fn SDK", strings.TrimSpace(string(out))})
	}
	return info
}

func imageSize(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "image", "inspect", "localhost/clusterpair-fn:dev", "--format", "{{.Size}}").Output()
	if err != nil {
		return ""
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%.1f MB (%d bytes)", mb(n), n)
}
