//go:build !lean

package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
)

func TestResolveKubeconfig(t *testing.T) {
	cases := []struct {
		flag, env, want, wantErr string
	}{
		{flag: "a.yaml", env: "b.yaml", want: "a.yaml"},
		{env: "b.yaml", want: "b.yaml"},
		{env: ":b.yaml:", want: "b.yaml"},
		{wantErr: "pass --kubeconfig FILE or set $KUBECONFIG"},
		{env: "a.yaml:b.yaml", wantErr: "$KUBECONFIG lists 2 files"},
	}
	for _, c := range cases {
		got, err := resolveKubeconfig(c.flag, func(string) string { return c.env })
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("resolveKubeconfig(%q, %q) = %q, %v; want error %q", c.flag, c.env, got, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("resolveKubeconfig(%q, %q) = %q, %v; want %q", c.flag, c.env, got, err, c.want)
		}
	}
}

// TestCheckTimeoutDefault keeps the shared flag default (the lean build does
// not link pkg/check) equal to check.DefaultTimeout.
func TestCheckTimeoutDefault(t *testing.T) {
	if defaultCheckTimeout != check.DefaultTimeout {
		t.Errorf("defaultCheckTimeout = %v, check.DefaultTimeout = %v", defaultCheckTimeout, check.DefaultTimeout)
	}
}

// TestCheckFormats keeps the shared -o values equal to check.Formats.
func TestCheckFormats(t *testing.T) {
	if !slices.Equal(checkFormats, check.Formats) {
		t.Errorf("checkFormats = %v, check.Formats = %v", checkFormats, check.Formats)
	}
}
