//go:build !lean

package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testsops"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// fakePluginArg makes the test binary an exec credential plugin that
// records its environment; mainArg makes it the program itself, run with
// the arguments that follow (see TestMain).
const (
	fakePluginArg = "__cmd-test-exec-plugin"
	mainArg       = "__cmd-test-main"
)

func TestMain(m *testing.M) {
	switch {
	case len(os.Args) > 2 && os.Args[1] == "check" && os.Args[2] == liveProbeCommand:
		// The child of check --live --allow-exec, as the real binary runs it.
		main()
		os.Exit(0)
	case len(os.Args) > 1 && os.Args[1] == mainArg:
		os.Args = append(os.Args[:1], os.Args[2:]...)
		main()
		os.Exit(0)
	case len(os.Args) == 3 && os.Args[1] == fakePluginArg:
		if err := os.WriteFile(os.Args[2], []byte(strings.Join(os.Environ(), "\n")), 0o600); err != nil {
			os.Exit(4)
		}
		fmt.Println(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"plugin-token"}}`)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestCheckLiveAllowExec runs check --live on a pair whose kubeconfig has an
// exec plugin: without --allow-exec the plugin does not run and the report
// says why; with it, it runs through the hidden probe subcommand, without
// the operator's sops key in its environment.
func TestCheckLiveAllowExec(t *testing.T) {
	testenv.UseDemoKey(t)
	t.Setenv("VAULT_TOKEN", "operator-vault-token")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	_ = l.Close()

	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprintf("allow-exec=%v", allow), func(t *testing.T) {
			dir := t.TempDir()
			marker := filepath.Join(t.TempDir(), "plugin-ran")
			cfg := clientcmdapi.NewConfig()
			cfg.Clusters["dst"] = &clientcmdapi.Cluster{Server: "https://" + dead + "/?access_token=server-query-secret", InsecureSkipTLSVerify: true}
			cfg.AuthInfos["stork"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
				Command: exe, Args: []string{fakePluginArg, marker}, APIVersion: "client.authentication.k8s.io/v1",
				InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
			}}
			cfg.Contexts["dst"] = &clientcmdapi.Context{Cluster: "dst", AuthInfo: "stork"}
			cfg.CurrentContext = "dst"
			kc, err := clientcmd.Write(*cfg)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := testsops.NewFixtureEncryptor().EncryptFile(kc, filepath.Join(dir, "kubeconfig.yaml"), secrets.FileEncryptOptions{Age: []string{testenv.Recipient(t, testenv.DemoKeyFile())}})
			if err != nil {
				t.Fatal(err)
			}
			request := "apiVersion: fn.clusterpair.dev/v1alpha1\nkind: ClusterPairRequest\nmetadata:\n  name: eks\n  namespace: app\nspec:\n  mode: sync-dr\n  destination:\n    kubeconfig:\n      file: kubeconfig.yaml\n"
			for name, data := range map[string][]byte{"kubeconfig.yaml": enc.Data, "clusterpair.yaml": []byte(request)} {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := []string{"check", "--live", dir}
			if allow {
				args = []string{"check", "--live", "--allow-exec", dir}
			}
			out, stderr, err := execute(t, "", args...)
			env, readErr := os.ReadFile(marker)
			if ran := readErr == nil; ran != allow {
				t.Fatalf("the exec plugin ran: %v, want %v\n%s", ran, allow, out)
			}
			for _, s := range []string{"server-query-secret", "access_token", "operator-vault-token"} {
				if strings.Contains(out+stderr, s) {
					t.Errorf("the output reveals %q:\n%s%s", s, out, stderr)
				}
			}
			if !allow {
				if err != nil || !strings.Contains(out, check.NeedsAllowExec) || !strings.Contains(out, "pass --allow-exec") {
					t.Errorf("check: %v\n%s", err, out)
				}
				return
			}
			// The plugin ran; nothing listens there, so the check fails, naming the host only.
			if err == nil || !strings.Contains(out, "https://"+dead+": ") || !strings.Contains(out, "connection refused") {
				t.Errorf("check: %v\n%s", err, out)
			}
			for _, s := range []string{"SOPS_AGE_KEY_FILE", "VAULT_TOKEN", testenv.DemoKeyFile()} {
				if strings.Contains(string(env), s) {
					t.Errorf("the plugin's environment holds %s", s)
				}
			}
		})
	}
}
