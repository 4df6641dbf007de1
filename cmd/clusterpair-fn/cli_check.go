package main

// The command line of `check`, shared by both builds (see cli_new.go).

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// defaultCheckTimeout is check.DefaultTimeout (a test of the full build
// keeps them equal; the lean build does not link pkg/check).
const defaultCheckTimeout = 10 * time.Second

// checkFormats are check.Formats (kept equal by a test of the full build).
var checkFormats = []string{"table", "json", "junit"}

// checkFlags are the flags of `check`.
type checkFlags struct {
	side    string
	live    bool
	timeout time.Duration
	output  string
}

// newCheckShell returns the `check` command with its help and flags bound
// to o, and no RunE.
func newCheckShell(o *checkFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check [DIR|FILE...]",
		Short: "Render every ClusterPairRequest under the directories as the function would; with --live, reach each destination",
		Long: `check finds every ClusterPairRequest in the YAML and JSON files under the
given directories (default "."; hidden directories such as .git are skipped)
and renders each exactly as the function does when kustomize runs it (the
same processor, in the request's directory, with the sops keys of the
environment: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, ...). It prints a table (pair,
destination server, mode, Portworx endpoint, result), then every error and
warning, and exits non-zero when any pair has an error: a pre-commit hook or
CI gate. Nothing secret is printed.

A bidirectional request (spec.reverse) is checked for both sides unless
--side or $CLUSTERPAIR_SIDE chooses one; a one-way request has only the
source side.

--live also does, from this machine, what Stork's controller does from the
source cluster: it builds a client from the rendered pair's spec.config
(clientcmd.NewNonInteractiveClientConfig(...).ClientConfig(); exec plugins
run here) and calls GET /version on the destination, and it opens a TCP
connection to the Portworx endpoint (nothing is sent; the token never leaves
this process). Each live check is reported as passed, failed (with the
reason) or skipped (with why); a failed one fails the command. The Stork pod
may see the network differently from this machine.`,
		Example: `  clusterpair-fn check                      # every request under .
  clusterpair-fn check --live pairs/dr-west  # and reach the destination
  CLUSTERPAIR_SIDE=source clusterpair-fn check clusters/`,
	}
	cmd.Flags().BoolVar(&o.live, "live", false, "also call GET /version on each destination and connect to its Portworx endpoint, from this machine")
	cmd.Flags().StringVar(&o.side, "side", "", `check only this side of bidirectional requests: "source" or "destination" (default from $CLUSTERPAIR_SIDE; both when unset)`)
	cmd.Flags().DurationVar(&o.timeout, "timeout", defaultCheckTimeout, "time limit of each live check")
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "report format: "+strings.Join(checkFormats, ", ")+" (json: see docs/api.md; junit: one test case per pair)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if !slices.Contains(checkFormats, o.output) {
			return fmt.Errorf("-o %q: want one of %s", o.output, strings.Join(checkFormats, ", "))
		}
		return nil
	}
	return cmd
}
