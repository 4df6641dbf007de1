//go:build !lean

package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/check"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// errCheckFailed is returned when a pair failed a check; the report says which.
var errCheckFailed = errors.New("check failed")

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
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		report, err := check.Run(ctx, check.Options{
			Paths: args, Side: chosen, Live: o.live, Timeout: o.timeout,
			Decryptor: secrets.NewSOPSDecryptor(),
		})
		if err != nil {
			return err
		}
		if err := report.WriteFormat(cmd.OutOrStdout(), o.output); err != nil {
			return err
		}
		if report.Failed() {
			return fmt.Errorf("%w: see the report above", errCheckFailed)
		}
		return nil
	}
	return cmd
}
