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
	side           string
	live           bool
	allowExec      bool
	timeout        time.Duration
	expiringWithin time.Duration
	output         string
	keys           keySettings
	settings       operatorSettings
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
(clientcmd.NewNonInteractiveClientConfig(...).ClientConfig()) and calls GET
/version on the destination, and it opens a TCP
connection to the Portworx endpoint (nothing is sent; the token never leaves
this process). Each live check is reported as passed, failed (with the
reason) or skipped (with why); a failed one fails the command. A redirect is
never followed (it fails the check), and nothing the destination sends is
printed: an error answer is shown as its status code and a fixed reason. The
Stork pod may see the network differently from this machine.

A kubeconfig from the repository that authenticates with an exec plugin or
an auth-provider would run repository code on this machine: its API server
check is skipped (the report says so) unless --allow-exec is given. With
--allow-exec it runs in a child process whose environment is only PATH, HOME,
USER, LOGNAME, LANG, LC_ALL, LC_CTYPE, LC_MESSAGES, TZ, TMPDIR, SSL_CERT_FILE
and SSL_CERT_DIR (plus the kubeconfig's own exec env): no SOPS_*, VAULT_*,
cloud credentials, ARGOCD_*, KUBECONFIG or proxy settings. It still runs as
your user and can read your files.

The EXPIRES column is the earliest known expiry of each pair's credentials
(client certificate, JWT token, CA bundle; "unknown" for opaque tokens and
exec plugins). --expiring-within DURATION (e.g. 720h) also exits non-zero
when any pair's credentials expire inside that window: run it on a schedule
in CI, as the DR canary (Stork keeps showing a pair Ready while every
migration fails on an expired credential).`,
		Example: `  clusterpair-fn check                      # every request under .
  clusterpair-fn check --live pairs/dr-west  # and reach the destination
  clusterpair-fn check --live --allow-exec pairs/eks  # also run exec plugins, scrubbed
  CLUSTERPAIR_SIDE=source clusterpair-fn check clusters/
  clusterpair-fn check --expiring-within 720h pairs/   # scheduled: fail 30 days ahead
  clusterpair-fn check -o junit pairs/ > check.xml`,
	}
	cmd.Flags().BoolVar(&o.live, "live", false, "also call GET /version on each destination and connect to its Portworx endpoint, from this machine")
	cmd.Flags().BoolVar(&o.allowExec, "allow-exec", false, "with --live, run the exec plugins and auth-providers of the repository's kubeconfigs (in a child with a minimal environment); without it their API server check is skipped")
	cmd.Flags().DurationVar(&o.expiringWithin, "expiring-within", 0, "also fail when any pair's credentials expire within this duration (e.g. 720h); 0: off")
	o.keys.addFlags(cmd.Flags())
	o.settings.addLimitFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.side, "side", "", `check only this side of bidirectional requests: "source" or "destination" (default from $CLUSTERPAIR_SIDE; both when unset)`)
	cmd.Flags().DurationVar(&o.timeout, "timeout", defaultCheckTimeout, "time limit of each live check")
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "report format: "+strings.Join(checkFormats, ", ")+" (json: see docs/api.md; junit: one test case per pair)")
	cmd.PreRunE = func(*cobra.Command, []string) error {
		if !slices.Contains(checkFormats, o.output) {
			return fmt.Errorf("-o %q: want one of %s", o.output, strings.Join(checkFormats, ", "))
		}
		if o.expiringWithin < 0 {
			return fmt.Errorf("--expiring-within %s is negative", o.expiringWithin)
		}
		return nil
	}
	return cmd
}
