package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/golang/protobuf/ptypes/empty"
	grpc_retry "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	log "github.com/sirupsen/logrus"

	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	"github.com/argoproj/argo-cd/v3/util/app/discovery"
	"github.com/argoproj/argo-cd/v3/util/cmp"
	utilio "github.com/argoproj/argo-cd/v3/util/io"
)

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// cmpCall is one GenerateManifest call, as printed by "cmp" (one JSON line).
type cmpCall struct {
	Plugin    string  `json:"plugin"`
	Round     int     `json:"round"`
	Seconds   float64 `json:"seconds"`
	Manifests int     `json:"manifests"`
	// SHA256 is over the manifests as the cmp-server returned them (each
	// object as JSON, in order), so that two plugins' outputs compare.
	SHA256 string `json:"sha256"`
}

// cmpGenerate calls running argocd-cmp-server plugins the way
// argocd-repo-server does for an Application source with plugin.name
// (reposerver/repository's runConfigManagementPluginSidecars and
// generateManifestsCMP), with Argo CD's own client code:
// discovery.DetectConfigManagementPlugin dials
// $ARGOCD_PLUGINSOCKFILEPATH/<name>.sock and checks the plugin's
// configuration, CheckPluginConfiguration again, then the GenerateManifest
// stream gets the metadata and the tarball of the repository checkout
// (util/cmp.SendRepoStream, with the repo-server's --plugin-tar-exclude
// globs) and returns the manifests. The environment is the one the
// repo-server builds (newEnv and getPluginEnvs: ARGOCD_APP_*, KUBE_VERSION,
// KUBE_API_VERSIONS, the Application's plugin env as ARGOCD_ENV_<name>).
//
// Each round calls every -plugin once (interleaved; the order rotates from
// round to round), or with -stdin one call per plugin name read, and it
// prints one JSON line per call with its wall time, measured from the dial to
// the response. An error from any call is printed and exits 1.
func cmpGenerate(args []string) error {
	fs := flag.NewFlagSet("cmp", flag.ContinueOnError)
	repoPath := fs.String("repo-path", "", "the repository checkout (the tarball's root)")
	path := fs.String("path", ".", "spec.source.path, relative to -repo-path")
	repoURL := fs.String("repo", "https://git.example.invalid/pairs.git", "spec.source.repoURL (ARGOCD_APP_SOURCE_REPO_URL)")
	revision := fs.String("revision", "0123456789abcdef0123456789abcdef01234567", "the resolved revision (ARGOCD_APP_REVISION)")
	app := fs.String("app", "clusterpair", "the Application's name")
	namespace := fs.String("namespace", "app", "spec.destination.namespace")
	project := fs.String("project", "", "the Application's spec.project (required)")
	rounds := fs.Int("rounds", 1, "rounds; each calls every plugin once")
	stdin := fs.Bool("stdin", false, "instead of -rounds: call the plugin named on each line of stdin, printing each result at once")
	timeout := fs.Duration("timeout", 2*time.Minute, "deadline of one call")
	var plugins, env, excludes multiFlag
	fs.Var(&plugins, "plugin", "a plugin's name (its socket is $ARGOCD_PLUGINSOCKFILEPATH/<name>.sock; repeatable)")
	fs.Var(&env, "env", "spec.source.plugin.env entry NAME=VALUE (repeatable)")
	fs.Var(&excludes, "tar-exclude", "a --plugin-tar-exclude glob (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *repoPath == "" || len(plugins) == 0 || *project == "" {
		return fmt.Errorf("cmp: -repo-path, -project and at least one -plugin are required")
	}
	if os.Getenv("ARGOCD_PLUGINSOCKFILEPATH") == "" {
		return fmt.Errorf("cmp: set ARGOCD_PLUGINSOCKFILEPATH to the cmp-servers' socket directory, as on the repo-server")
	}
	log.SetLevel(log.WarnLevel)
	root, err := filepath.Abs(*repoPath)
	if err != nil {
		return err
	}
	appPath := filepath.Join(root, filepath.FromSlash(*path))
	src := &v1alpha1.ApplicationSource{RepoURL: *repoURL, Path: *path, TargetRevision: "HEAD"}
	environ := repoServerEnv(*app, *namespace, *project, *revision, src)
	parsed := make(v1alpha1.Env, 0, len(environ))
	for _, kv := range environ {
		e, err := v1alpha1.NewEnvEntry(kv)
		if err != nil {
			return err
		}
		parsed = append(parsed, e)
	}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("-env %q is not NAME=VALUE", kv)
		}
		environ = append(environ, fmt.Sprintf("ARGOCD_ENV_%s=%s", name, parsed.Envsubst(value)))
	}
	out := json.NewEncoder(os.Stdout)
	call := func(plugin string, round int) error {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		start := time.Now()
		manifests, err := cmpOnce(ctx, appPath, root, plugin, environ, excludes)
		elapsed := time.Since(start)
		if err != nil {
			return fmt.Errorf("plugin %s, round %d: %w", plugin, round, err)
		}
		h := sha256.New()
		for _, m := range manifests {
			h.Write([]byte(m))
			h.Write([]byte{'\n'})
		}
		return out.Encode(cmpCall{Plugin: plugin, Round: round, Seconds: elapsed.Seconds(),
			Manifests: len(manifests), SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	if *stdin {
		// Driven by a benchmark: one call per line read, so that it can
		// interleave other work between calls of this one long-lived client
		// (as the repo-server is one).
		lines := bufio.NewScanner(os.Stdin)
		for round := 1; lines.Scan(); round++ {
			plugin := strings.TrimSpace(lines.Text())
			if !slices.Contains(plugins, plugin) {
				return fmt.Errorf("cmp: %q on stdin is not a -plugin", plugin)
			}
			if err := call(plugin, round); err != nil {
				return err
			}
		}
		return lines.Err()
	}
	for round := 1; round <= *rounds; round++ {
		for k := range plugins {
			// The order rotates each round, so that no plugin always goes
			// first.
			if err := call(plugins[(k+round-1)%len(plugins)], round); err != nil {
				return err
			}
		}
	}
	return nil
}

// cmpOnce is one manifest generation through a plugin, as the repo-server
// does it.
func cmpOnce(ctx context.Context, appPath, rootPath, plugin string, env, excludes []string) ([]string, error) {
	conn, client, err := discovery.DetectConfigManagementPlugin(ctx, appPath, rootPath, plugin, env, excludes)
	if err != nil {
		return nil, err
	}
	defer utilio.Close(conn)
	if _, err := client.CheckPluginConfiguration(ctx, &empty.Empty{}); err != nil {
		return nil, fmt.Errorf("error calling cmp-server checkPluginConfiguration: %w", err)
	}
	stream, err := client.GenerateManifest(ctx, grpc_retry.Disable())
	if err != nil {
		return nil, fmt.Errorf("error getting generateManifestStream: %w", err)
	}
	if err := cmp.SendRepoStream(ctx, appPath, rootPath, stream, env, excludes); err != nil {
		return nil, fmt.Errorf("error sending file to cmp-server: %w", err)
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, fmt.Errorf("error generating manifests in cmp: %w", err)
	}
	return resp.Manifests, nil
}

// repoServerEnv is the environment argocd-repo-server v3 builds for a
// plugin (reposerver/repository's newEnv and getPluginEnvs), without the
// Application's plugin env.
func repoServerEnv(app, namespace, project, revision string, src *v1alpha1.ApplicationSource) []string {
	short := func(n int) string {
		if len(revision) > n {
			return revision[:n]
		}
		return revision
	}
	env := v1alpha1.Env{
		{Name: "ARGOCD_APP_NAME", Value: app},
		{Name: "ARGOCD_APP_NAMESPACE", Value: namespace},
		{Name: "ARGOCD_APP_PROJECT_NAME", Value: project},
		{Name: "ARGOCD_APP_REVISION", Value: revision},
		{Name: "ARGOCD_APP_REVISION_SHORT", Value: short(7)},
		{Name: "ARGOCD_APP_REVISION_SHORT_8", Value: short(8)},
		{Name: "ARGOCD_APP_SOURCE_REPO_URL", Value: src.RepoURL},
		{Name: "ARGOCD_APP_SOURCE_PATH", Value: src.Path},
		{Name: "ARGOCD_APP_SOURCE_TARGET_REVISION", Value: src.TargetRevision},
	}
	return append(env.Environ(), "KUBE_VERSION=", "KUBE_API_VERSIONS=")
}
