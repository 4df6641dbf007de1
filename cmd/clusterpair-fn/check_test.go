//go:build !lean

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
)

func TestCheckExamplesPass(t *testing.T) {
	testenv.UseDemoKey(t)
	out, stderr, err := execute(t, "", "check", testenv.Path("examples"))
	if err != nil {
		t.Fatalf("check examples: %v\n%s%s", err, out, stderr)
	}
	if !strings.HasPrefix(out, "REQUEST ") || !strings.Contains(out, "8 pairs checked by rendering them as the function does: 8 ok, 0 with warnings, 0 failed.") {
		t.Errorf("report:\n%s", out)
	}
}

func TestCheckFailsNamingTheBrokenRequest(t *testing.T) {
	testenv.UseDemoKey(t)
	root := t.TempDir()
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "good"))
	testenv.CopyDir(t, testenv.Path("examples", "kustomize"), filepath.Join(root, "broken"))
	req := filepath.Join(root, "broken", "clusterpair.yaml")
	data, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(req, []byte(strings.Replace(string(data), "port: 9001", "port: 90010", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := execute(t, "", "check", filepath.Join(root, "good"), filepath.Join(root, "broken"))
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("check: %v, want errCheckFailed\n%s", err, out)
	}
	if !strings.Contains(out, req) || !strings.Contains(out, "spec.storage.port: 90010 is out of range 1-65535") || !strings.Contains(out, "1 ok, 0 with warnings, 1 failed") {
		t.Errorf("report does not name %s and its error:\n%s", req, out)
	}
}

func TestCheckArguments(t *testing.T) {
	testenv.UseDemoKey(t)
	bidi := testenv.Path("examples", "bidirectional")
	cases := []struct {
		env     string
		args    []string
		rows    int
		wantErr string
	}{
		{args: []string{bidi}, rows: 2},
		{args: []string{"--side", "destination", bidi}, rows: 1},
		{env: "source", args: []string{bidi}, rows: 1},
		{env: "sideways", args: []string{bidi}, wantErr: `CLUSTERPAIR_SIDE="sideways"`},
		{args: []string{t.TempDir()}, wantErr: check.ErrNoRequests.Error()},
		{args: []string{filepath.Join(t.TempDir(), "missing")}, wantErr: "no such file"},
	}
	for _, c := range cases {
		t.Setenv("CLUSTERPAIR_SIDE", c.env)
		out, _, err := execute(t, "", append([]string{"check"}, c.args...)...)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("check %v (side %q): %v, want %q", c.args, c.env, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("check %v (side %q): %v\n%s", c.args, c.env, err, out)
			continue
		}
		if got := strings.Count(out, "bidirectional/clusterpair.yaml  "); got != c.rows {
			t.Errorf("check %v (side %q): %d rows, want %d\n%s", c.args, c.env, got, c.rows, out)
		}
	}
}

func TestCheckDefaultsToTheWorkingDirectory(t *testing.T) {
	testenv.UseDemoKey(t)
	t.Chdir(testenv.Path("examples", "kustomize"))
	out, _, err := execute(t, "", "check")
	if err != nil || !strings.Contains(out, "clusterpair.yaml  app/dr-west") {
		t.Errorf("check in examples/kustomize: %v\n%s", err, out)
	}
}
