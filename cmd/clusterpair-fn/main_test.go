package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
)

func execute(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestVersionAndHelp(t *testing.T) {
	out, _, err := execute(t, "", "--version")
	if err != nil || out != "clusterpair-fn dev\n" {
		t.Errorf("--version = %q, %v", out, err)
	}
	out, _, err = execute(t, "", "--help")
	if err != nil || !strings.Contains(out, "--enable-alpha-plugins --enable-exec") || !strings.Contains(out, "ResourceList") {
		t.Errorf("--help = %q, %v", out, err)
	}
}

func TestRejectsArguments(t *testing.T) {
	if _, _, err := execute(t, "", "render", "x"); err == nil {
		t.Error("unknown arguments must be an error")
	}
}

func TestRunsAsFunction(t *testing.T) {
	testenv.Isolate(t)
	t.Chdir(t.TempDir())
	in := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"
	out, stderr, err := execute(t, in)
	if !errors.Is(err, fn.ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	if !strings.Contains(stderr, "no ClusterPairRequest") || !strings.Contains(out, "severity: error") {
		t.Errorf("stdout=%q stderr=%q", out, stderr)
	}
}
