//go:build cluster && gitops

package cluster

import (
	"fmt"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// argoPlugin is examples/argocd's plugin name (metadata.name, no version).
const argoPlugin = "clusterpair-fn"

// argoProject is the Argo CD project (an Application's spec.project) of the
// suite's Applications unless a case names another: examples/argocd's
// AppProject.
const argoProject = "clusterpairs"

// envProbePlugin is a second plugin of the suite's own: its generate command
// prints, as a ConfigMap, the variables the repo-server and the cmp-server
// hand a plugin, so that the test observes them instead of assuming them.
const envProbePlugin = "env-probe"

// argoCase is one Application source rendered by the repo-server.
type argoCase struct {
	name, path string
	project    string   // spec.project; argoProject if empty
	env        []string // spec.source.plugin.env, NAME=VALUE
	wantName   string   // the one ClusterPair expected, or
	wantError  string   // the manifest-generation error expected
	pair       bool     // apply it and pair as Stork does
}

// argoServers is a repo-server and the cmp-server sidecars it finds in its
// plugin socket directory.
type argoServers struct {
	argocd   string
	repoPort int
	sockDir  string
	cmp      map[string]*process // by plugin name
	repo     *process
}

// argoSidecar is one argocd-cmp-server: its plugin config and environment.
type argoSidecar struct {
	plugin     string // metadata.name of the config, the socket's name
	pluginYAML []byte
	env        []string // NAME=VALUE added to the sidecar's environment
}

// startArgo starts the sidecars (each its own argocd-cmp-server, sharing one
// plugin socket directory, as sidecars share the `plugins` volume) and an
// argocd-repo-server using them, with redis at redisPort.
func startArgo(t *testing.T, argocd string, redisPort int, sidecars ...argoSidecar) *argoServers {
	t.Helper()
	work := t.TempDir()
	sockDir := filepath.Join(work, "plugins")
	binDir := filepath.Join(work, "bin")
	for _, d := range []string{sockDir, binDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// As in the sidecar image (make image-argocd-cmp): the lean binary, the
	// full one it hands encryption to, and kustomize.
	copyFile(t, testenv.Tool(t, "clusterpair-fn"), filepath.Join(binDir, "clusterpair-fn"))
	copyFile(t, testenv.Tool(t, "clusterpair-fn-full"), filepath.Join(binDir, "clusterpair-fn-full"))
	copyFile(t, testenv.Tool(t, "kustomize"), filepath.Join(binDir, "kustomize"))
	s := &argoServers{argocd: argocd, sockDir: sockDir, cmp: map[string]*process{}}
	for _, sc := range sidecars {
		configDir := filepath.Join(work, "config-"+sc.plugin)
		if err := os.MkdirAll(configDir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(configDir, "plugin.yaml"), sc.pluginYAML)
		// Each sidecar its own HOME, XDG_CONFIG_HOME, GNUPGHOME and TMPDIR:
		// no key of the machine, nothing shared between sidecars.
		env := append(testenv.IsolatedEnv(t.TempDir()), "ARGOCD_PLUGINSOCKFILEPATH="+sockDir, "ARGOCD_GPG_ENABLED=false",
			"ARGOCD_BINARY_NAME=argocd-cmp-server", "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "TMPDIR="+t.TempDir())
		p := startProcessEnv(t, "argocd-cmp-server "+sc.plugin, filepath.Join(work, "cmp-server-"+sc.plugin+".log"),
			append(env, sc.env...), argocd, "--config-dir-path", configDir, "--loglevel", "info")
		waitFile(t, p, filepath.Join(sockDir, sc.plugin+".sock"))
		s.cmp[sc.plugin] = p
	}

	// Argo CD 3.x's repo-server runs hack/git-verify-wrapper.sh from its PATH
	// on every manifest request; `make argocd-tool` copies it from Argo CD's
	// module next to the binary. Without TLS it also needs --client-ca-path
	// emptied: its default is a file path that aborts the start-up.
	toolDir := filepath.Dir(argocd)
	if _, err := os.Stat(filepath.Join(toolDir, "git-verify-wrapper.sh")); err != nil {
		t.Fatalf("git-verify-wrapper.sh is not next to %s: run `make argocd-tool` (%v)", argocd, err)
	}
	s.repoPort = freePort(t)
	metricsPort := freePort(t)
	env := append(testenv.IsolatedEnv(t.TempDir()), "ARGOCD_PLUGINSOCKFILEPATH="+sockDir, "ARGOCD_GPG_ENABLED=false",
		"ARGOCD_BINARY_NAME=argocd-repo-server", "TMPDIR="+t.TempDir(),
		"PATH="+toolDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	s.repo = startProcessEnv(t, "argocd-repo-server", filepath.Join(work, "repo-server.log"), env,
		argocd, "--address", "127.0.0.1", "--port", strconv.Itoa(s.repoPort), "--metrics-address", "127.0.0.1",
		"--metrics-port", strconv.Itoa(metricsPort), "--redis", "127.0.0.1:"+strconv.Itoa(redisPort),
		"--disable-tls", "--client-ca-path=", "--plugin-tar-exclude", "*.md", "--loglevel", "info")
	waitListening(t, s.repo, s.repoPort)
	return s
}

// manifests asks the repo-server for an Application's manifests the way the
// application controller does, always with a project.
func (s *argoServers) manifests(t *testing.T, gitURL, plugin, path, project, app string, env ...string) toolResult {
	t.Helper()
	if project == "" {
		t.Fatal("every Argo CD request names its project")
	}
	args := []string{"manifests", "-repo-server", "127.0.0.1:" + strconv.Itoa(s.repoPort), "-repo", gitURL,
		"-path", path, "-plugin", plugin, "-project", project, "-app", app, "-namespace", pairNamespace}
	for _, e := range env {
		args = append(args, "-env", e)
	}
	return runTool(t, s.argocd, nil, args...)
}

// envProbeYAML is the env-probe plugin: a ConfigMap of the variables it got.
// Argo CD runs the command without a shell of its own; this one asks for sh.
var envProbeYAML = []byte(`apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: ` + envProbePlugin + `
spec:
  generate:
    command:
      - sh
      - -c
      - |
        printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env-probe\ndata:\n'
        env | grep -E '^ARGOCD_(APP|ENV)_' | sort | while IFS='=' read -r k v; do printf '  %s: "%s"\n' "$k" "$v"; done
`)

func testArgoCD(t *testing.T, src *apiServer, argocd string, key ageKey, kc []byte) {
	// A sidecar never inherits a tenant map from the machine.
	t.Setenv("CLUSTERPAIR_FN_TENANTS", "")
	_ = os.Unsetenv("CLUSTERPAIR_FN_TENANTS")
	version := argoVersion(t, argocd)
	t.Logf("Argo CD under test: %s (argocd-repo-server, argocd-cmp-server)", version)
	if !strings.HasPrefix(version, "github.com/argoproj/argo-cd/v3 v3.") {
		t.Fatalf("the suite needs Argo CD 3.x (ARGOCD_APP_PROJECT_NAME), got %q: run `make argocd-tool`", version)
	}

	other := newAgeKey(t)
	repo := t.TempDir()
	pairs := filepath.Join(repo, "pairs")
	copyDir(t, pairDir(t, key, "argo-pair", kc, ""), filepath.Join(pairs, "argo-pair"))
	// Excluded from the tarball by --plugin-tar-exclude below.
	writeFile(t, filepath.Join(pairs, "argo-pair", "README.md"), []byte("# excluded from the plugin tarball\n"))
	reverse := filepath.Join(pairs, "argo-reverse")
	copyDir(t, pairDir(t, key, "argo-reverse", kc, ""), reverse)
	// The reverse direction reaches the source API server with its own
	// credentials and token.
	srcCert := src.ca.issue(t, certSpec{cn: "stork-dr"})
	srcKC := kubeconfig{server: src.url, caPEM: src.ca.certPEM, userName: "stork-dr",
		user: clientcmdapi.AuthInfo{ClientCertificateData: srcCert.CertPEM, ClientKeyData: srcCert.KeyPEM}}.bytes(t)
	writeFile(t, filepath.Join(reverse, "source-kubeconfig.yaml"), sopsEncrypt(t, key, "source-kubeconfig.yaml", srcKC))
	writeFile(t, filepath.Join(reverse, "source-token.enc"), sopsEncrypt(t, key, "source-token.enc", []byte("px-pairing-token-source\n")))
	appendRequest(t, reverse, `  reverse:
    name: argo-reverse-back
    kubeconfig:
      file: source-kubeconfig.yaml
    storage:
      ip: px-api.source.e2e.invalid
      token:
        file: source-token.enc
`)
	copyDir(t, pairDir(t, other, "argo-other-key", kc, ""), filepath.Join(pairs, "argo-other-key"))
	encrypted := filepath.Join(pairs, "argo-encrypted")
	copyDir(t, pairDir(t, key, "argo-encrypted", kc, ""), encrypted)
	appendRequest(t, encrypted, "  output:\n    encrypt:\n      age:\n        - "+key.recipient+"\n")
	empty := filepath.Join(pairs, "argo-empty")
	if err := os.MkdirAll(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(empty, "kustomization.yaml"), []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"))
	tenants := writeTenantPairs(t, pairs, kc)
	gitURL := serveGit(t, repo)

	redisPort := freePort(t)
	redis := startProcess(t, "redis-server", filepath.Join(t.TempDir(), "redis.log"), redisServer(t),
		"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	waitListening(t, redis, redisPort)

	// The sidecar: examples/argocd's plugin config, the lean binary and
	// kustomize on PATH, the age key mounted as in the sidecar; beside it the
	// env-probe plugin.
	ageDir := filepath.Join(t.TempDir(), "sops", "age")
	if err := os.MkdirAll(ageDir, 0o755); err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, filepath.Join(ageDir, "keys.txt"), []byte(key.identity+"\n"))
	pluginYAML, err := os.ReadFile(testenv.Path("examples", "argocd", "cmp", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	argo := startArgo(t, argocd, redisPort,
		argoSidecar{plugin: argoPlugin, pluginYAML: pluginYAML, env: []string{"SOPS_AGE_KEY_FILE=" + keyFile}},
		argoSidecar{plugin: envProbePlugin, pluginYAML: envProbeYAML})

	cases := []argoCase{
		{name: "renders the pair", path: "pairs/argo-pair", wantName: "argo-pair", pair: true},
		{name: "plugin env CLUSTERPAIR_SIDE reaches the function", path: "pairs/argo-reverse",
			env: []string{"CLUSTERPAIR_SIDE=destination"}, wantName: "argo-reverse-back"},
		{name: "plugin env CLUSTERPAIR_SIDE=source", path: "pairs/argo-reverse",
			env: []string{"CLUSTERPAIR_SIDE=source"}, wantName: "argo-reverse"},
		{name: "a two-way request without plugin env is an error", path: "pairs/argo-reverse", wantError: "CLUSTERPAIR_SIDE=source or CLUSTERPAIR_SIDE=destination"},
		{name: "empty render is an error", path: "pairs/argo-empty", wantError: "refusing to print an empty render"},
		{name: "missing key is an error", path: "pairs/argo-other-key", wantError: "argo-other-key"},
		{name: "encrypted render is an error", path: "pairs/argo-encrypted", wantError: "SOPS-encrypted"},
		{name: "another project renders the same pair", path: "pairs/argo-pair", project: "other-project", wantName: "argo-pair"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			project := c.project
			if project == "" {
				project = argoProject
			}
			app := "clusterpair-" + filepath.Base(c.path)
			r := argo.manifests(t, gitURL, argoPlugin, c.path, project, app, c.env...)
			if strings.Contains(r.stdout+r.stderr, key.identity) {
				t.Errorf("the age identity reached the output")
			}
			if c.wantError != "" {
				expectGenerationError(t, r, c.wantError)
				return
			}
			if r.err != nil {
				t.Fatalf("manifest generation: %v\n%s\ncmp-server log:\n%s", r.err, r.stderr, argo.cmp[argoPlugin].logTail(20))
			}
			got := onePair(t, r.stdout, c.wantName)
			if got.GetLabels()["app.kubernetes.io/instance"] != app {
				t.Errorf("the repo-server did not add its tracking label: %v", got.GetLabels())
			}
			// The same pair as rendered directly (kustomize + the function).
			expectDirectRender(t, got, filepath.Join(repo, c.path), append([]string{"SOPS_AGE_KEY=" + key.identity}, c.env...)...)
			if !c.pair {
				return
			}
			if _, err := applyObject(t, src, clusterPairGVR, got, false); err != nil {
				t.Fatalf("server-side apply: %v", err)
			}
			summary.addApplied("%s (source, rendered by argocd-repo-server + argocd-cmp-server)", objectRef(got))
			expectPaired(t, src, c.wantName, "Argo CD")
		})
	}

	// What a plugin's command gets, observed by the env-probe plugin through
	// the same repo-server: the Application's project as
	// ARGOCD_APP_PROJECT_NAME (Argo CD >= 3.0; tenant mode relies on it), its
	// name, and the plugin env with Argo CD's ARGOCD_ENV_ prefix.
	t.Run("the plugin gets ARGOCD_APP_PROJECT_NAME", func(t *testing.T) {
		for _, project := range []string{argoProject, "team-probe"} {
			r := argo.manifests(t, gitURL, envProbePlugin, "pairs/argo-pair", project, "probe-app", "CLUSTERPAIR_SIDE=source")
			if r.err != nil {
				t.Fatalf("manifest generation: %v\n%s\ncmp-server log:\n%s", r.err, r.stderr, argo.cmp[envProbePlugin].logTail(20))
			}
			objs := objectsOf(t, r.stdout)
			if len(objs) != 1 || objs[0].GetKind() != "ConfigMap" {
				t.Fatalf("want the env-probe ConfigMap, got:\n%s", r.stdout)
			}
			data, _, _ := unstructured.NestedStringMap(objs[0].Object, "data")
			want := map[string]string{
				"ARGOCD_APP_PROJECT_NAME":     project,
				"ARGOCD_APP_NAME":             "probe-app",
				"ARGOCD_APP_NAMESPACE":        pairNamespace,
				"ARGOCD_APP_SOURCE_PATH":      "pairs/argo-pair",
				"ARGOCD_ENV_CLUSTERPAIR_SIDE": "source",
			}
			for k, v := range want {
				if got, ok := data[k]; !ok || got != v {
					t.Errorf("project %s: the plugin's %s = %q (set: %v), want %q", project, k, got, ok, v)
				}
			}
			t.Logf("project %s: the plugin's environment had %v", project, data)
		}
	})

	t.Run("tenants", func(t *testing.T) { testArgoCDTenants(t, argocd, redisPort, repo, gitURL, tenants) })
}

// argoVersion is the Argo CD module the binary was built from.
func argoVersion(t testing.TB, argocd string) string {
	t.Helper()
	out, err := exec.Command(argocd, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", argocd, err)
	}
	return strings.TrimSpace(string(out))
}

// expectGenerationError checks a manifest request failed with want in its
// message and returned no manifests.
func expectGenerationError(t *testing.T, r toolResult, want string) {
	t.Helper()
	if r.err == nil {
		t.Fatalf("manifest generation succeeded; want an error mentioning %q; manifests:\n%s", want, r.stdout)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("a failed generation returned manifests:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("the error lacks %q:\n%s", want, r.stderr)
	}
	t.Logf("repo-server: %s", trimLines(r.stderr, 6))
}

// onePair decodes the repo-server's manifests: exactly one ClusterPair named
// name.
func onePair(t *testing.T, stdout, name string) *unstructured.Unstructured {
	t.Helper()
	objs := objectsOf(t, stdout)
	if len(objs) != 1 || objs[0].GetKind() != "ClusterPair" || objs[0].GetName() != name {
		t.Fatalf("want the one ClusterPair %s, got:\n%s", name, stdout)
	}
	return objs[0]
}

// expectDirectRender compares a pair Argo CD returned with kustomize's
// render of the same directory (kustomize + the function, env's key).
func expectDirectRender(t *testing.T, got *unstructured.Unstructured, dir string, env ...string) {
	t.Helper()
	direct := kustomizeBuild(t, dir, env...)
	if direct.err != nil {
		t.Fatalf("direct render: %v\n%s", direct.err, direct.stderr)
	}
	want := objectsOf(t, direct.stdout)[0]
	if !sameJSON(got.Object["spec"], want.Object["spec"]) || got.GetNamespace() != want.GetNamespace() {
		t.Errorf("the plugin's pair differs from the direct render\n--- plugin\n%s\n--- direct\n%s", mustJSON(got.Object), mustJSON(want.Object))
	}
}

// appendRequest appends spec fields to a pair directory's request.
func appendRequest(t testing.TB, dir, spec string) {
	t.Helper()
	p := filepath.Join(dir, "clusterpair.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, append(data, spec...))
}

// serveGit commits dir as a git repository and serves it read-only over
// git's smart HTTP protocol (git http-backend) on loopback.
func serveGit(t testing.TB, dir string) string {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("git is required on PATH")
	}
	env := testenv.IsolatedEnv(t.TempDir(), "GIT_AUTHOR_NAME=e2e", "GIT_AUTHOR_EMAIL=e2e@e2e.invalid",
		"GIT_COMMITTER_NAME=e2e", "GIT_COMMITTER_EMAIL=e2e@e2e.invalid")
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-q", "-m", "pairs"}} {
		cmd := exec.Command(git, args...)
		cmd.Dir, cmd.Env = dir, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command(git, "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	srv := httptest.NewServer(&cgi.Handler{Path: backend, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(dir), "GIT_HTTP_EXPORT_ALL=1", "HOME=" + t.TempDir()}})
	t.Cleanup(srv.Close)
	return fmt.Sprintf("%s/%s", srv.URL, filepath.Base(dir))
}

func redisServer(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not on PATH: run `make e2e-gitops` (hack/ensure-redis.sh installs Debian's redis-server)")
	}
	return p
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t testing.TB, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
