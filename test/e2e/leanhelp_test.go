package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// leanAlone copies the lean build alone into a fresh directory and returns
// its path and a PATH holding only it and the system directories.
func leanAlone(t *testing.T) (bin, path string) {
	t.Helper()
	data, err := os.ReadFile(testenv.Tool(t, "clusterpair-fn"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin = filepath.Join(dir, "clusterpair-fn")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, "PATH=" + dir + ":/usr/bin:/bin"
}

// TestLeanHelpWithoutFull: every subcommand's --help, and completion, work
// with the lean build alone, showing the real flags of the full build's
// commands.
func TestLeanHelpWithoutFull(t *testing.T) {
	bin, path := leanAlone(t)
	env := testenv.IsolatedEnv(t.TempDir(), path)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"ResourceList", "new", "check", "completion"}},
		{[]string{"new", "--help"}, []string{"--px-endpoint", "--token-file", "--kubeconfig", "$KUBECONFIG", "--age", "--dir"}},
		{[]string{"check", "--help"}, []string{"--live", "--side", "--timeout", "GET /version"}},
		{[]string{"rekey", "--help"}, []string{"--sops-config", "--dry-run", "--allow-key-endpoint", "sops updatekeys"}},
		{[]string{"build", "--help"}, []string{"Usage:"}},
		{[]string{"completion", "bash"}, []string{"__start_clusterpair-fn"}},
		{[]string{"completion", "zsh"}, []string{"#compdef clusterpair-fn"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := runTool(t, t.TempDir(), env, bin, c.args...)
			if r.err != nil {
				t.Fatalf("%v: %v\n%s", c.args, r.err, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("%v lacks %q:\n%s", c.args, w, r.stdout)
				}
			}
		})
	}
}

// TestLeanHandOverNamesTheFullCommands: without clusterpair-fn-full, new
// and check fail naming the command run and every command needing the full
// build; a flag mistake is still reported by the lean build itself.
func TestLeanHandOverNamesTheFullCommands(t *testing.T) {
	bin, path := leanAlone(t)
	env := testenv.IsolatedEnv(t.TempDir(), path)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"new", "dr-west", "-n", "app", "--kubeconfig", "k"}, []string{"clusterpair-fn new needs the full build", "clusterpair-fn-full is not installed", "`clusterpair-fn new`", "`clusterpair-fn check`", "KMS/Vault", "make install"}},
		{[]string{"check", "."}, []string{"clusterpair-fn check needs the full build", "`clusterpair-fn new`", "`clusterpair-fn check`"}},
		{[]string{"new", "dr-west"}, []string{`required flag(s) "namespace" not set`}},
		{[]string{"check", "--tiemout", "1s"}, []string{"unknown flag: --tiemout"}},
		{[]string{"rekey", "."}, []string{"clusterpair-fn rekey needs the full build", "`clusterpair-fn rekey`"}},
		{[]string{"rekey", "--dryrun"}, []string{"unknown flag: --dryrun"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := runTool(t, t.TempDir(), env, bin, c.args...)
			if r.err == nil {
				t.Fatalf("%v succeeded without the full build", c.args)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, r.stderr)
				}
			}
		})
	}
}
