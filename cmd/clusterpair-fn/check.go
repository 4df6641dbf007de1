//go:build !lean

package main

import (
	"time"

	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
)

// errCheckFailed is returned when a pair failed a check; the report says which.
var errCheckFailed = errors.New("check failed")

// errCredentialsExpiring is returned by --expiring-within when a pair's
// credentials expire inside the window.
var errCredentialsExpiring = errors.New("credentials expire soon")

func newCheckCommand() *cobra.Command {
	var o checkFlags
	cmd := newCheckShell(&o)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			args = []string{"."}
		}
		chosen, err := resolveSide(o.side, os.Getenv)
		if err != nil {
			return err
		}
		limits, err := o.settings.limits(os.Getenv)
		if err != nil {
			return err
		}
		rk, err := o.keys.resolve(os.Getenv, limits)
		if err != nil {
			return err
		}
		defer rk.close()
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		opts := check.Options{
			Paths: args, Side: chosen, Live: o.live, AllowExec: o.allowExec, Timeout: o.timeout,
			Decryptor: rk.decryptor, Encryptor: rk.encryptor, Limits: rk.limits,
		}
		if o.allowExec {
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
		if err := report.WriteFormat(cmd.OutOrStdout(), o.output); err != nil {
			return err
		}
		if report.Failed() {
			return fmt.Errorf("%w: see the report above", errCheckFailed)
		}
		if o.expiringWithin > 0 {
			now := time.Now()
			if o.output == "table" {
				if err := report.WriteExpiring(cmd.OutOrStdout(), now, o.expiringWithin); err != nil {
					return err
				}
			}
			if n := len(report.ExpiringWithin(now, o.expiringWithin)); n > 0 {
				return fmt.Errorf("%w: %d pair(s) within %s", errCredentialsExpiring, n, o.expiringWithin)
			}
		}
		return nil
	}
	cmd.AddCommand(newLiveProbeCommand())
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
