//go:build container

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// These tests run the FROM-scratch image for real. `make test-container`
// builds it and sets CLUSTERPAIR_FN_IMAGE.

func image(t *testing.T) string {
	t.Helper()
	return imageFromEnv(t, "CLUSTERPAIR_FN_IMAGE")
}

// imageFromEnv returns the image `make test-container` named in the
// variable; the test fails when it is not set.
func imageFromEnv(t *testing.T, variable string) string {
	t.Helper()
	img := os.Getenv(variable)
	if img == "" {
		t.Fatalf("%s is not set: run `make test-container`", variable)
	}
	return img
}

func demoKey(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(testenv.DemoKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const containerAnnotation = `    config.kubernetes.io/function: |
      container:
        image: %IMAGE%
        network: false
        mounts:
          - type: bind
            src: .
            dst: /work
        envs:
          - SOPS_AGE_KEY
`

// useContainer rewrites the example's function annotation from exec to container.
func useContainer(t *testing.T, dir, img string) {
	t.Helper()
	p := filepath.Join(dir, "clusterpair.yaml")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	exec := "    config.kubernetes.io/function: |\n      exec:\n        path: clusterpair-fn\n"
	if !strings.Contains(string(data), exec) {
		t.Fatalf("example annotation changed; update this test")
	}
	out := strings.Replace(string(data), exec, strings.ReplaceAll(containerAnnotation, "%IMAGE%", img), 1)
	if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestContainerKustomizeMatchesExec(t *testing.T) {
	img := image(t)
	kustomize := testenv.Tool(t, "kustomize")
	execDir := copyExample(t, "kustomize")
	want := runTool(t, execDir, demoKeyEnv(), kustomize, "build", "--enable-alpha-plugins", "--enable-exec", ".")
	if want.err != nil {
		t.Fatalf("exec build: %v\n%s", want.err, want.stderr)
	}
	dir := copyExample(t, "kustomize")
	useContainer(t, dir, img)
	got := runTool(t, dir, []string{"SOPS_AGE_KEY=" + demoKey(t)}, kustomize, "build", "--enable-alpha-plugins", ".")
	if got.err != nil {
		t.Fatalf("container build: %v\n%s", got.err, got.stderr)
	}
	if got.stdout != want.stdout {
		t.Errorf("container output differs from exec output\n--- exec\n%s\n--- container\n%s", want.stdout, got.stdout)
	}
	decodeClusterPairs(t, got.stdout)
}

func TestContainerKustomizeErrorWithoutKey(t *testing.T) {
	img := image(t)
	kustomize := testenv.Tool(t, "kustomize")
	dir := copyExample(t, "kustomize")
	useContainer(t, dir, img)
	r := runTool(t, dir, nil, kustomize, "build", "--enable-alpha-plugins", ".")
	if r.err == nil || r.stdout != "" || !strings.Contains(r.stderr, "no usable decryption key") {
		t.Fatalf("want a failed build naming the missing key; err=%v\nstdout:%s\nstderr:%s", r.err, r.stdout, r.stderr)
	}
}

// TestContainerReadOnlyNonRoot runs the image directly with a read-only root
// filesystem, no network, all capabilities dropped and the image's own user.
func TestContainerReadOnlyNonRoot(t *testing.T) {
	img := image(t)
	dir := copyExample(t, "kustomize")
	input := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n"
	req, err := os.ReadFile(filepath.Join(dir, "clusterpair.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(req), "\n"), "\n") {
		input += "  " + line + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "input.yaml"), []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runTool(t, dir, []string{"SOPS_AGE_KEY=" + demoKey(t)}, "sh", "-c",
		"docker run --rm -i --read-only --network none --cap-drop ALL --security-opt=no-new-privileges "+
			"--mount type=bind,source=\"$PWD\",target=/work,readonly -e SOPS_AGE_KEY "+img+" < input.yaml")
	if r.err != nil {
		t.Fatalf("docker run: %v\n%s", r.err, r.stderr)
	}
	if !strings.Contains(r.stdout, "kind: ClusterPair\n") {
		t.Fatalf("no ClusterPair rendered:\n%s\n%s", r.stdout, r.stderr)
	}
	who := runTool(t, dir, nil, "docker", "image", "inspect", "--format", "{{.Config.User}}", img)
	if strings.TrimSpace(who.stdout) != "65532:65532" {
		t.Errorf("image user = %q, want 65532:65532", who.stdout)
	}
}

// TestContainerKptEvalMatchesExec renders with kpt fn eval --image and with
// kpt fn eval --exec; both must agree byte for byte.
func TestContainerKptEvalMatchesExec(t *testing.T) {
	img := image(t)
	kpt := testenv.Tool(t, "kpt")
	fnBin := testenv.Tool(t, "clusterpair-fn")
	prep := func() string {
		dir := copyExample(t, "kustomize")
		ignore := "kustomization.yaml\ndestination-kubeconfig.yaml\n.sops.yaml\n"
		if err := os.WriteFile(filepath.Join(dir, ".krmignore"), []byte(ignore), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	execDir := prep()
	want := runTool(t, execDir, demoKeyEnv(), kpt, "fn", "eval", ".", "--exec", fnBin, "--fn-config", "clusterpair.yaml", "-o", "unwrap")
	if want.err != nil {
		t.Fatalf("kpt exec: %v\n%s", want.err, want.stderr)
	}
	dir := prep()
	got := runTool(t, dir, []string{"SOPS_AGE_KEY=" + demoKey(t)}, kpt, "fn", "eval", ".", "--image", img,
		"--mount", "type=bind,src="+dir+",dst=/work", "-e", "SOPS_AGE_KEY", "--fn-config", "clusterpair.yaml", "-o", "unwrap")
	if got.err != nil {
		t.Fatalf("kpt image: %v\n%s", got.err, got.stderr)
	}
	if got.stdout != want.stdout {
		t.Errorf("kpt --image output differs from --exec\n--- exec\n%s\n--- image\n%s", want.stdout, got.stdout)
	}
	decodeClusterPairs(t, got.stdout)
}
