//go:build leanproto

// Command leanproto is the phase-1 prototype of a lean clusterpair-fn: the
// KRM function path of cmd/clusterpair-fn (same flags, same processor),
// decrypting with pkg/secrets/sopsfile instead of the sops library. It only
// builds with -tags leanproto and the overlay hack/bench/compare writes,
// which swaps pkg/secrets' sops-based files for hack/bench/leanproto/overlay.
// It has no subcommands and cannot encrypt output; see docs/benchmarks.md
// for what the real wiring needs.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/transform"
)

var version = "leanproto"

func main() {
	if err := newRootCommand().Execute(); err != nil {
		if !errors.Is(err, fn.ErrFailed) {
			fmt.Fprintln(os.Stderr, "clusterpair-fn:", err)
		}
		os.Exit(1)
	}
}

var sideEnv = []string{"CLUSTERPAIR_SIDE", "ARGOCD_ENV_CLUSTERPAIR_SIDE"}

func newRootCommand() *cobra.Command {
	var side, rootDir string
	root := &cobra.Command{
		Use:           "clusterpair-fn",
		Short:         "Render Stork ClusterPairs from SOPS-encrypted ClusterPairRequests (lean prototype)",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				return errors.New("expects a KRM ResourceList on stdin (run it through kustomize or kpt); see --help")
			}
			wd := rootDir
			if wd == "" {
				var err error
				if wd, err = os.Getwd(); err != nil {
					return fmt.Errorf("finding the working directory: %w", err)
				}
			}
			chosen, err := resolveSide(side, os.Getenv)
			if err != nil {
				return err
			}
			p := &fn.Processor{Decryptor: secrets.NewLeanDecryptor(), WorkDir: wd, Log: cmd.ErrOrStderr(), Side: chosen}
			return fn.Run(p, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	root.Flags().StringVar(&side, "side", "", `side of a bidirectional pair to render: "source" or "destination" (default from $CLUSTERPAIR_SIDE)`)
	root.Flags().StringVar(&rootDir, "root", "", "directory relative paths resolve against when the input does not name its package; default: the working directory")
	root.SetVersionTemplate("clusterpair-fn {{.Version}}\n")
	return root
}

func resolveSide(flag string, getenv func(string) string) (transform.Side, error) {
	value, source := flag, "--side"
	for _, name := range sideEnv {
		if value != "" {
			break
		}
		value, source = getenv(name), name
	}
	switch transform.Side(value) {
	case "", transform.SideSource, transform.SideDestination:
		return transform.Side(value), nil
	}
	return "", fmt.Errorf("%s=%q: the side must be %q or %q", source, value, transform.SideSource, transform.SideDestination)
}
