package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// binary is one program under test.
type binary struct {
	name string // file name and column label
	role role
	what string // one line for the report
	pkg  string
	tags []string
	path string
	size int64
	err  error // build failure (then path is empty)
}

type role int

const (
	roleFloor role = iota
	roleFull
	roleLean
	roleProbe
)

// probes are the floor plus blank imports: each shows what linking (and
// initialising) a dependency of the lean build costs at start-up.
var probes = []struct {
	name, what string
	imports    []string
	tags       []string
}{
	{"noop+sopsfile", "pkg/secrets/sopsfile (sops age, pgp, shamir; yaml, ini, mapstructure)", []string{"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopsfile"}, nil},
	{"noop+cobra", "github.com/spf13/cobra", []string{"github.com/spf13/cobra"}, nil},
	{"noop+clientcmd", "k8s.io/client-go/tools/clientcmd", []string{"k8s.io/client-go/tools/clientcmd"}, nil},
	{"noop+api", "pkg/api/v1alpha1", []string{"github.com/clusterpair-fn/clusterpair-fn/pkg/api/v1alpha1"}, nil},
	{"noop+transform", "pkg/transform", []string{"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"}, nil},
	{"noop+fn(lean)", "pkg/fn and pkg/secrets/sopslean: everything the lean function renders with", []string{"github.com/clusterpair-fn/clusterpair-fn/pkg/fn", "github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"}, nil},
}

// importProbes writes and plans the probe programs under ws (inside the
// module, so that they may import its packages).
func importProbes(repo, ws string) ([]*binary, error) {
	noop, err := os.ReadFile(filepath.Join(repo, "hack", "bench", "noop", "main.go"))
	if err != nil {
		return nil, err
	}
	const sdk = `"github.com/GoogleContainerTools/kpt-functions-sdk/go/fn"`
	var bins []*binary
	for i, p := range probes {
		blank := ""
		for _, imp := range p.imports {
			blank += "\n\t_ \"" + imp + "\""
		}
		src := strings.Replace(string(noop), sdk, sdk+blank, 1)
		// "_probes": wildcards such as ./... skip it; explicit paths build.
		dir := filepath.Join(ws, "_probes", fmt.Sprintf("p%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			return nil, err
		}
		bins = append(bins, &binary{name: p.name, role: roleProbe, pkg: "./" + relTo(repo, dir), tags: p.tags, what: p.what})
	}
	return bins, nil
}

// forbiddenForLean are the sops packages that link the cloud key services:
// only package sopsfull (and what only the full build links) imports one.
var forbiddenForLean = []string{
	"github.com/getsops/sops/v3",
	"github.com/getsops/sops/v3/aes",
	"github.com/getsops/sops/v3/keyservice",
	"github.com/getsops/sops/v3/decrypt",
	"github.com/getsops/sops/v3/cmd/sops/common",
	"github.com/getsops/sops/v3/config",
	"github.com/getsops/sops/v3/stores",
	"github.com/getsops/sops/v3/kms",
	"github.com/getsops/sops/v3/gcpkms",
	"github.com/getsops/sops/v3/azkv",
	"github.com/getsops/sops/v3/hcvault",
	"github.com/getsops/sops/v3/hckms",
	"github.com/getsops/sops/v3/version",
}

// cloudPrefixes mark cloud SDKs and gRPC among a binary's dependencies.
var cloudPrefixes = []string{
	"github.com/aws/", "cloud.google.com/", "google.golang.org/api", "google.golang.org/grpc",
	"github.com/Azure/", "github.com/AzureAD/", "github.com/hashicorp/vault", "github.com/huaweicloud/",
	"go.opentelemetry.io/", "github.com/envoyproxy/",
}

func isForbidden(imp string) bool {
	for _, f := range forbiddenForLean {
		if imp == f || strings.HasPrefix(imp, "github.com/getsops/sops/v3/stores/") {
			return true
		}
	}
	return false
}

// goCmd runs the go command in the repository.
func goCmd(ctx context.Context, repo string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		return out.Bytes(), fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return out.Bytes(), nil
}

// plan returns the binaries to build: the floor and the two builds of
// cmd/clusterpair-fn.
func plan() []*binary {
	return []*binary{
		{name: "noop", role: roleFloor, pkg: "./hack/bench/noop", what: "fn SDK only, passes its input through (hack/bench/noop): the floor"},
		{name: "clusterpair-fn-full", role: roleFull, pkg: "./cmd/clusterpair-fn", what: "full build (`go build ./cmd/clusterpair-fn`: the sops library with every key service)"},
		{name: "clusterpair-fn", role: roleLean, pkg: "./cmd/clusterpair-fn", tags: []string{"lean"}, what: "lean build (`-tags lean`: pkg/secrets/sopslean; hands KMS/Vault work to clusterpair-fn-full)"},
	}
}

// buildArgs are the go command arguments after "build" or "list -deps".
func (b *binary) buildArgs() []string {
	var args []string
	if len(b.tags) > 0 {
		args = append(args, "-tags", strings.Join(b.tags, ","))
	}
	return args
}

// buildAll builds the stripped binaries the way the Makefile does.
func buildAll(ctx context.Context, repo, ws string, bins []*binary) {
	binDir := filepath.Join(ws, "bin")
	_ = os.MkdirAll(binDir, 0o755)
	for _, b := range bins {
		if b.err != nil {
			continue
		}
		b.path = filepath.Join(binDir, b.name)
		args := append([]string{"build", "-trimpath", "-ldflags", "-s -w -X main.version=bench"}, b.buildArgs()...)
		args = append(args, "-o", b.path, b.pkg)
		start := time.Now()
		if _, err := goCmd(ctx, repo, args...); err != nil {
			b.err, b.path = err, ""
			logf("build %s: FAILED: %v", b.name, err)
			continue
		}
		if st, err := os.Stat(b.path); err == nil {
			b.size = st.Size()
		}
		logf("built %s (%.1f MB) in %s", b.name, mb(b.size), time.Since(start).Round(time.Millisecond))
	}
}

// cloudDeps lists the cloud SDK packages a main package links.
func cloudDeps(ctx context.Context, repo string, args ...string) ([]string, error) {
	out, err := goCmd(ctx, repo, append([]string{"list", "-deps"}, args...)...)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, dep := range strings.Fields(string(out)) {
		if isForbidden(dep) {
			seen[dep] = true
			continue
		}
		for _, p := range cloudPrefixes {
			if strings.HasPrefix(dep, p) {
				// Report modules, not every package.
				parts := strings.SplitN(dep, "/", 4)
				if len(parts) > 3 {
					dep = strings.Join(parts[:3], "/")
				}
				seen[dep] = true
			}
		}
	}
	var list []string
	for d := range seen {
		list = append(list, d)
	}
	sort.Strings(list)
	return list, nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
