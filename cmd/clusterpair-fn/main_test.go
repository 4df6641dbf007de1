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

func TestResolveSide(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	cases := []struct {
		flag    string
		vars    map[string]string
		want    string
		wantErr string
	}{
		{want: ""},
		{flag: "destination", vars: map[string]string{"CLUSTERPAIR_SIDE": "source"}, want: "destination"},
		{vars: map[string]string{"CLUSTERPAIR_SIDE": "source", "ARGOCD_ENV_CLUSTERPAIR_SIDE": "destination"}, want: "source"},
		{vars: map[string]string{"ARGOCD_ENV_CLUSTERPAIR_SIDE": "destination"}, want: "destination"},
		{flag: "dest", wantErr: `--side="dest"`},
		{vars: map[string]string{"CLUSTERPAIR_SIDE": "Source"}, wantErr: `CLUSTERPAIR_SIDE="Source"`},
	}
	for _, c := range cases {
		got, err := resolveSide(c.flag, env(c.vars))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("resolveSide(%q, %v) error = %v, want %q", c.flag, c.vars, err, c.wantErr)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("resolveSide(%q, %v) = %q, %v; want %q", c.flag, c.vars, got, err, c.want)
		}
	}
}
