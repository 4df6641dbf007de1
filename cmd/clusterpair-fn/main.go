// Command clusterpair-fn is a KRM function that renders Stork ClusterPairs
// from ClusterPairRequests whose secrets are SOPS-encrypted.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/fn"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := newRootCommand().Execute(); err != nil {
		if !errors.Is(err, fn.ErrFailed) {
			fmt.Fprintln(os.Stderr, "clusterpair-fn:", err)
		}
		os.Exit(1)
	}
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "clusterpair-fn",
		Short: "Render Stork ClusterPairs from SOPS-encrypted ClusterPairRequests (a KRM function)",
		Long: `clusterpair-fn is a KRM function. Run without arguments, it reads a
ResourceList on stdin, renders a Stork ClusterPair for every
ClusterPairRequest (fn.clusterpair.dev/v1alpha1) in it, decrypting the
referenced SOPS files with the keys sops finds in the environment
(SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, GNUPGHOME, cloud KMS credentials...),
and writes the ResourceList to stdout.

Use it as a kustomize generator:
  kustomize build --enable-alpha-plugins --enable-exec DIR

Errors and warnings are KRM results and one line each on stderr; any error
means a non-zero exit and no rendered object.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				return errors.New("expects a KRM ResourceList on stdin (run it through kustomize or kpt); see --help")
			}
			wd, err := os.Getwd()
			if err != nil {
				return fmt.Errorf("finding the working directory: %w", err)
			}
			p := &fn.Processor{Decryptor: secrets.NewSOPSDecryptor(), WorkDir: wd, Log: cmd.ErrOrStderr()}
			return fn.Run(p, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	root.SetVersionTemplate("clusterpair-fn {{.Version}}\n")
	return root
}
