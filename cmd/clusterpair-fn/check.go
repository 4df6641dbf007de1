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
		timeout        time.Duration
		expiringWithin time.Duration
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
(clientcmd.NewNonInteractiveClientConfig(...).ClientConfig(); exec plugins
run here) and calls GET /version on the destination, and it opens a TCP
connection to the Portworx endpoint (nothing is sent; the token never leaves
this process). Each live check is reported as passed, failed (with the
reason) or skipped (with why); a failed one fails the command. The Stork pod
may see the network differently from this machine.

The EXPIRES column is the earliest known expiry of each pair's credentials
(client certificate, JWT token, CA bundle; "unknown" for opaque tokens and
exec plugins). --expiring-within DURATION (e.g. 720h) also exits non-zero
when any pair's credentials expire inside that window: run it on a schedule
in CI, as the DR canary (Stork keeps showing a pair Ready while every
migration fails on an expired credential).`,
		Example: `  clusterpair-fn check                      # every request under .
  clusterpair-fn check --live pairs/dr-west  # and reach the destination
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
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			report, err := check.Run(ctx, check.Options{
				Paths: args, Side: chosen, Live: live, Timeout: timeout,
				Decryptor: secrets.NewSOPSDecryptor(),
			})
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
	cmd.Flags().StringVar(&side, "side", "", `check only this side of bidirectional requests: "source" or "destination" (default from $CLUSTERPAIR_SIDE; both when unset)`)
	cmd.Flags().DurationVar(&timeout, "timeout", check.DefaultTimeout, "time limit of each live check")
	cmd.Flags().DurationVar(&expiringWithin, "expiring-within", 0, "also fail when any pair's credentials expire within this duration (e.g. 720h); 0: off")
	return cmd
}
