package main

import (
	"os"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

func TestOperatorSettingsResolve(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		flags      operatorSettings
		env        map[string]string
		wantRoot   string
		wantLimits secrets.Limits
		wantErr    string
	}{
		{name: "defaults: the working directory, default limits", wantRoot: wd},
		{name: "environment", env: map[string]string{rootEnv: "/srv/pairs", maxRequestsEnv: "10", maxReadBytesEnv: "4096"}, wantRoot: "/srv/pairs", wantLimits: secrets.Limits{MaxRequests: 10, MaxReadBytes: 4096}},
		{name: "flags win over the environment", flags: operatorSettings{root: "/a", maxRequests: 3, maxReadBytes: 7}, env: map[string]string{rootEnv: "/b", maxRequestsEnv: "10", maxReadBytesEnv: "4096"}, wantRoot: "/a", wantLimits: secrets.Limits{MaxRequests: 3, MaxReadBytes: 7}},
		{name: "not a number", env: map[string]string{maxRequestsEnv: "many"}, wantErr: `CLUSTERPAIR_FN_MAX_REQUESTS="many": must be a positive whole number`},
		{name: "zero", env: map[string]string{maxReadBytesEnv: "0"}, wantErr: `CLUSTERPAIR_FN_MAX_READ_BYTES="0": must be a positive whole number`},
		{name: "negative flag", flags: operatorSettings{maxRequests: -1}, wantErr: "must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root, limits, err := tc.flags.resolve(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if root != tc.wantRoot || limits != tc.wantLimits {
				t.Errorf("got %q %+v, want %q %+v", root, limits, tc.wantRoot, tc.wantLimits)
			}
		})
	}
}
