//go:build !lean

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// errCheckFailed is returned when a pair failed a check; the report says which.
var errCheckFailed = errors.New("check failed")

// errCredentialsExpiring is returned by --expiring-within when a pair's
// credentials expire inside the window.
var errCredentialsExpiring = errors.New("credentials expire soon")

func newCheckCommand() *cobra.Command {
	var (
		side           string
		live           bool
		allowExec      bool
		timeout        time.Duration
		expiringWithin time.Duration
		allow          []string
	)
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
reason) or skipped (with why); a failed one fails the command. The Stork pod
may see the network differently from this machine.

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
  clusterpair-fn check --expiring-within 720h pairs/   # scheduled: fail 30 days ahead`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			if expiringWithin < 0 {
				return fmt.Errorf("--expiring-within %s is negative", expiringWithin)
			}
			chosen, err := resolveSide(side, os.Getenv)
			if err != nil {
				return err
			}
			policy, err := keyPolicy(allow)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := check.Options{
				Paths: args, Side: chosen, Live: live, AllowExec: allowExec, Timeout: timeout,
				Decryptor: secrets.NewSOPSDecryptor().WithKeyPolicy(policy),
			}
			if allowExec {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("--allow-exec: finding this executable to run plugins in a child: %w", err)
				}
				opts.ProbeCommand = []string{exe, "check", liveProbeCommand}
			}
			report, err := check.Run(ctx, opts)
			if err != nil {
				return err
			}
			if err := report.Write(cmd.OutOrStdout()); err != nil {
				return err
			}
			if report.Failed() {
				return fmt.Errorf("%w: see the report above", errCheckFailed)
			}
			if expiringWithin > 0 {
				now := time.Now()
				if err := report.WriteExpiring(cmd.OutOrStdout(), now, expiringWithin); err != nil {
					return err
				}
				if n := len(report.ExpiringWithin(now, expiringWithin)); n > 0 {
					return fmt.Errorf("%w: %d pair(s) within %s", errCredentialsExpiring, n, expiringWithin)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&live, "live", false, "also call GET /version on each destination and connect to its Portworx endpoint, from this machine")
	cmd.Flags().BoolVar(&allowExec, "allow-exec", false, "with --live, run the exec plugins and auth-providers of the repository's kubeconfigs (in a child with a minimal environment); without it their API server check is skipped")
	cmd.Flags().StringVar(&side, "side", "", `check only this side of bidirectional requests: "source" or "destination" (default from $CLUSTERPAIR_SIDE; both when unset)`)
	addKeyPolicyFlag(cmd.Flags(), &allow)
	cmd.Flags().DurationVar(&timeout, "timeout", check.DefaultTimeout, "time limit of each live check")
	cmd.AddCommand(newLiveProbeCommand())
	cmd.Flags().DurationVar(&expiringWithin, "expiring-within", 0, "also fail when any pair's credentials expire within this duration (e.g. 720h); 0: off")
	return cmd
}

// liveProbeCommand is the hidden subcommand --allow-exec runs plugins in.
const liveProbeCommand = "__live-probe"

// newLiveProbeCommand is the child of `check --live --allow-exec`: it reads
// one rendered spec.config on stdin and writes the API server check's result
// on stdout (check.ServeProbe). Its parent starts it with check.PluginEnv.
func newLiveProbeCommand() *cobra.Command {
	return &cobra.Command{
		Use:    liveProbeCommand,
		Short:  "internal: the isolated API server probe of check --live --allow-exec",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return check.ServeProbe(cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}
