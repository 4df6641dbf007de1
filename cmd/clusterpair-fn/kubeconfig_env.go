//go:build !lean

package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// resolveKubeconfig returns the kubeconfig `new` reads: the flag, else
// $KUBECONFIG as kubectl reads it. kubectl merges a list of files; `new`
// keeps one context of one file, so a list with more than one entry is an
// error asking for --kubeconfig.
func resolveKubeconfig(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	var files []string
	for _, p := range filepath.SplitList(getenv("KUBECONFIG")) {
		if strings.TrimSpace(p) != "" {
			files = append(files, p)
		}
	}
	switch len(files) {
	case 0:
		return "", errors.New("no kubeconfig: pass --kubeconfig FILE or set $KUBECONFIG")
	case 1:
		return files[0], nil
	}
	return "", fmt.Errorf("$KUBECONFIG lists %d files (kubectl merges them; new keeps one context of one file): pass --kubeconfig FILE", len(files))
}
