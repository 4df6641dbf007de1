//go:build !lean

package main

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// canaryCommand returns the arguments of the check command that the example
// workflow (examples/expiry-canary/workflow.yaml) runs in its canary step.
func canaryCommand(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(testenv.Path("examples", "expiry-canary", "workflow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				ID  string `json:"id"`
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	for _, step := range wf.Jobs["canary"].Steps {
		if step.ID == "canary" {
			args := strings.Fields(step.Run)
			if len(args) < 3 || args[0] != "clusterpair-fn-full" || args[1] != "check" {
				t.Fatalf("the canary step runs %q, not clusterpair-fn-full check", step.Run)
			}
			return args[1:]
		}
	}
	t.Fatal("the workflow has no step with id canary")
	return nil
}

// TestExpiryCanaryWorkflowPassesOnTheExamples runs the workflow's command
// where the workflow runs it, in the repository's root.
func TestExpiryCanaryWorkflowPassesOnTheExamples(t *testing.T) {
	testenv.UseDemoKey(t)
	args := canaryCommand(t)
	t.Chdir(testenv.RepoRoot())
	out, _, err := execute(t, "", args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	if !strings.Contains(out, "EXPIRES") || !strings.Contains(out, "No known credential expires within 720h0m0s") {
		t.Errorf("report:\n%s", out)
	}
}

// TestExpiryCanaryWorkflowFailsOnAnExpiringToken runs the same command in a
// checkout whose only pair authenticates with a token expiring in ten days.
func TestExpiryCanaryWorkflowFailsOnAnExpiringToken(t *testing.T) {
	testenv.UseDemoKey(t)
	args := canaryCommand(t)
	root := t.TempDir()
	pair := filepath.Join(root, "examples", "kustomize")
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), pair)
	exp := time.Now().Add(10 * 24 * time.Hour).UTC().Truncate(time.Second)
	enc := base64.RawURLEncoding.EncodeToString
	claims := enc([]byte(`{"sub":"system:serviceaccount:kube-system:canary-subject","exp":` + strconv.FormatInt(exp.Unix(), 10) + `}`))
	token := enc([]byte(`{"alg":"RS256"}`)) + "." + claims + "." + enc([]byte("canary-signature"))
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["dst"] = &clientcmdapi.Cluster{Server: "https://dst.example.com:6443"}
	cfg.AuthInfos["stork"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["dst"] = &clientcmdapi.Context{Cluster: "dst", AuthInfo: "stork"}
	cfg.CurrentContext = "dst"
	kc, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(pair, "destination-kubeconfig.yaml")
	out, err := testsops.NewFixtureEncryptor().EncryptFile(kc, file, secrets.FileEncryptOptions{Age: []string{testenv.Recipient(t, testenv.DemoKeyFile())}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, out.Data, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Chdir(root)
	report, _, err := execute(t, "", args...)
	if !errors.Is(err, errCredentialsExpiring) {
		t.Fatalf("%v: %v, want errCredentialsExpiring\n%s", args, err, report)
	}
	for _, want := range []string{exp.Format(time.DateOnly), "The credentials of 1 pair expire within 720h0m0s", "(app/dr-west, source side): expires " + exp.Format(time.RFC3339)} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	for _, secret := range []string{claims, "canary-subject", token} {
		if strings.Contains(report, secret) || strings.Contains(err.Error(), secret) {
			t.Errorf("the token's content is printed:\n%s", report)
		}
	}
	// A window that ends before the expiry passes.
	if _, _, err := execute(t, "", "check", "--expiring-within", "48h", "examples"); err != nil {
		t.Errorf("check --expiring-within 48h: %v", err)
	}
	if _, _, err := execute(t, "", "check", "--expiring-within", "-1h", "examples"); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("check --expiring-within -1h: %v, want an error", err)
	}
}
