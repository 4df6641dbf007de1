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

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// argoPlugin is examples/argocd's plugin name (metadata.name, no version).
const argoPlugin = "clusterpair-fn"

// argoCase is one Application source rendered by the repo-server.
type argoCase struct {
	name, path string
	env        []string // spec.source.plugin.env, NAME=VALUE
	wantName   string   // the one ClusterPair expected, or
	wantError  string   // the manifest-generation error expected
	pair       bool     // apply it and pair as Stork does
}

func testArgoCD(t *testing.T, src *apiServer, argocd string, key ageKey, kc []byte) {
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
	writeFile(t, filepath.Join(empty, "kustomization.yaml"), []byte("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: app\nresources: []\n"))
	gitURL := serveGit(t, repo)

	// The sidecar: examples/argocd's plugin config, the lean binary and
	// kustomize on PATH, the age key mounted as in the sidecar.
	work := t.TempDir()
	sockDir := filepath.Join(work, "plugins")
	configDir := filepath.Join(work, "config")
	binDir := filepath.Join(work, "bin")
	ageDir := filepath.Join(work, "sops", "age")
	for _, d := range []string{sockDir, configDir, binDir, ageDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(t, testenv.Path("examples", "argocd", "cmp", "plugin.yaml"), filepath.Join(configDir, "plugin.yaml"))
	// As in the sidecar image (make image-argocd-cmp): the lean binary, the
	// full one it hands encryption to, and kustomize.
	copyFile(t, testenv.Tool(t, "clusterpair-fn"), filepath.Join(binDir, "clusterpair-fn"))
	copyFile(t, testenv.Tool(t, "clusterpair-fn-full"), filepath.Join(binDir, "clusterpair-fn-full"))
	copyFile(t, testenv.Tool(t, "kustomize"), filepath.Join(binDir, "kustomize"))
	keyFile := writeFile(t, filepath.Join(ageDir, "keys.txt"), []byte(key.identity+"\n"))
	home := t.TempDir()
	common := []string{"HOME=" + home, "ARGOCD_PLUGINSOCKFILEPATH=" + sockDir, "ARGOCD_GPG_ENABLED=false"}
	cmp := startProcessEnv(t, "argocd-cmp-server", filepath.Join(work, "cmp-server.log"),
		append(common, "ARGOCD_BINARY_NAME=argocd-cmp-server", "SOPS_AGE_KEY_FILE="+keyFile,
			"PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "TMPDIR="+t.TempDir()),
		argocd, "--config-dir-path", configDir, "--loglevel", "info")
	waitFile(t, cmp, filepath.Join(sockDir, argoPlugin+".sock"))

	redisPort := freePort(t)
	redis := startProcess(t, "redis-server", filepath.Join(work, "redis.log"), redisServer(t),
		"--port", strconv.Itoa(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	waitListening(t, redis, redisPort)

	repoPort, metricsPort := freePort(t), freePort(t)
	repoServer := startProcessEnv(t, "argocd-repo-server", filepath.Join(work, "repo-server.log"),
		append(common, "ARGOCD_BINARY_NAME=argocd-repo-server", "TMPDIR="+t.TempDir()),
		argocd, "--address", "127.0.0.1", "--port", strconv.Itoa(repoPort), "--metrics-address", "127.0.0.1",
		"--metrics-port", strconv.Itoa(metricsPort), "--redis", "127.0.0.1:"+strconv.Itoa(redisPort), "--disable-tls",
		"--plugin-tar-exclude", "*.md", "--loglevel", "info")
	waitListening(t, repoServer, repoPort)

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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"manifests", "-repo-server", "127.0.0.1:" + strconv.Itoa(repoPort), "-repo", gitURL,
				"-path", c.path, "-plugin", argoPlugin, "-app", "clusterpair-" + filepath.Base(c.path), "-namespace", pairNamespace}
			for _, e := range c.env {
				args = append(args, "-env", e)
			}
			r := runTool(t, argocd, nil, args...)
			if strings.Contains(r.stdout+r.stderr, key.identity) {
				t.Errorf("the age identity reached the output")
			}
			if c.wantError != "" {
				if r.err == nil {
					t.Fatalf("manifest generation succeeded; want an error mentioning %q; manifests:\n%s", c.wantError, r.stdout)
				}
				if strings.TrimSpace(r.stdout) != "" {
					t.Errorf("a failed generation returned manifests:\n%s", r.stdout)
				}
				if !strings.Contains(r.stderr, c.wantError) {
					t.Fatalf("the error lacks %q:\n%s", c.wantError, r.stderr)
				}
				t.Logf("repo-server: %s", trimLines(r.stderr, 6))
				return
			}
			if r.err != nil {
				t.Fatalf("manifest generation: %v\n%s\ncmp-server log:\n%s", r.err, r.stderr, cmp.logTail(20))
			}
			objs := objectsOf(t, r.stdout)
			if len(objs) != 1 || objs[0].GetKind() != "ClusterPair" || objs[0].GetName() != c.wantName {
				t.Fatalf("want the one ClusterPair %s, got:\n%s", c.wantName, r.stdout)
			}
			got := objs[0]
			if got.GetLabels()["app.kubernetes.io/instance"] != "clusterpair-"+filepath.Base(c.path) {
				t.Errorf("the repo-server did not add its tracking label: %v", got.GetLabels())
			}
			// The same pair as rendered directly (kustomize + the function).
			env := []string{"SOPS_AGE_KEY=" + key.identity}
			if len(c.env) > 0 {
				env = append(env, c.env...)
			}
			direct := kustomizeBuild(t, filepath.Join(repo, c.path), env...)
			if direct.err != nil {
				t.Fatalf("direct render: %v\n%s", direct.err, direct.stderr)
			}
			want := objectsOf(t, direct.stdout)[0]
			if !sameJSON(got.Object["spec"], want.Object["spec"]) || got.GetNamespace() != want.GetNamespace() {
				t.Errorf("the plugin's pair differs from the direct render\n--- plugin\n%s\n--- direct\n%s", mustJSON(got.Object), mustJSON(want.Object))
			}
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
