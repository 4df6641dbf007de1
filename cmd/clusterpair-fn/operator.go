package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// Environment variables through which the operator (never the repository)
// sets the render root and the limits of a run when flags cannot be passed,
// as under kustomize or a kpt pipeline.
const (
	rootEnv         = "CLUSTERPAIR_FN_ROOT"
	maxRequestsEnv  = "CLUSTERPAIR_FN_MAX_REQUESTS"
	maxReadBytesEnv = "CLUSTERPAIR_FN_MAX_READ_BYTES"
)

// operatorSettings are the render root and limits: flags first, then the
// environment, then the defaults.
type operatorSettings struct {
	root         string
	maxRequests  int
	maxReadBytes int64
}

func (o *operatorSettings) addFlags(flags *pflag.FlagSet) {
	flags.StringVar(&o.root, "root", "", "directory every referenced file must be inside; path annotations may only name places in it (default $"+rootEnv+", else the working directory)")
	o.addLimitFlags(flags)
}

// addLimitFlags registers the flags of the limits only.
func (o *operatorSettings) addLimitFlags(flags *pflag.FlagSet) {
	flags.IntVar(&o.maxRequests, "max-requests", 0, fmt.Sprintf("most ClusterPairRequests one run renders (default $%s, else %d)", maxRequestsEnv, secrets.DefaultMaxRequests))
	flags.Int64Var(&o.maxReadBytes, "max-read-bytes", 0, fmt.Sprintf("most bytes one run reads from referenced files, all together (default $%s, else %d)", maxReadBytesEnv, int64(secrets.DefaultMaxReadBytes)))
}

// resolve fills what the flags left unset from getenv and the working
// directory.
func (o operatorSettings) resolve(getenv func(string) string) (string, secrets.Limits, error) {
	root := o.root
	if root == "" {
		root = getenv(rootEnv)
	}
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", secrets.Limits{}, fmt.Errorf("finding the working directory: %w", err)
		}
		root = wd
	}
	limits, err := o.limits(getenv)
	return root, limits, err
}

// limits returns the limits: flags first, then the environment.
func (o operatorSettings) limits(getenv func(string) string) (secrets.Limits, error) {
	limits := secrets.Limits{MaxRequests: o.maxRequests, MaxReadBytes: o.maxReadBytes}
	if limits.MaxRequests == 0 {
		n, err := positiveEnv(getenv, maxRequestsEnv)
		if err != nil {
			return secrets.Limits{}, err
		}
		limits.MaxRequests = int(n)
	}
	if limits.MaxReadBytes == 0 {
		n, err := positiveEnv(getenv, maxReadBytesEnv)
		if err != nil {
			return secrets.Limits{}, err
		}
		limits.MaxReadBytes = n
	}
	if limits.MaxRequests < 0 || limits.MaxReadBytes < 0 {
		return secrets.Limits{}, fmt.Errorf("--max-requests and --max-read-bytes must be positive")
	}
	return limits, nil
}

// positiveEnv reads a positive integer from the environment (0 when unset).
func positiveEnv(getenv func(string) string, name string) (int64, error) {
	v := getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > 1<<40 {
		return 0, fmt.Errorf("%s=%q: must be a positive whole number", name, v)
	}
	return n, nil
}
