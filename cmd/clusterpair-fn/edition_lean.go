//go:build lean

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"
)

// The lean build decrypts age and PGP files with sops's own key sources
// but links no cloud KMS SDK, which cost most of a render's start-up; its
// decryptor has clusterpair-fn-full do the rest (package sopslean). The
// commands that link the full sops library and Kubernetes clients (new,
// check, rekey) are handed over whole to clusterpair-fn-full, installed
// next to this binary or on PATH.

// newKeys returns the lean build's decryptor under the operator's policy,
// confined to a tenant's keys when one is given, and its encryptor.
func newKeys(p secrets.KeyPolicy, tenant *secrets.TenantKeys) (secrets.Decryptor, secrets.Encryptor, error) {
	d, err := sopslean.NewDecryptor().WithKeyPolicy(p).WithTenantKeys(tenant)
	if err != nil {
		return nil, nil, err
	}
	return d, d.Encryptor(), nil
}

// editionCommands: the lean build has no hidden command of its own.
func editionCommands() []*cobra.Command { return nil }

// handOver reruns this very command with the full build: same arguments,
// stdin, stdout and stderr passed through, and its exit code. Nothing has
// been written by this process.
func handOver(cmd *cobra.Command, cause error) error {
	path, err := sopslean.FindFull()
	if err != nil {
		if cause == nil {
			cause = errors.New("this command needs the full build")
		}
		return fmt.Errorf("%v; %w", cause, err)
	}
	//nolint:gosec // G204: the operator's clusterpair-fn-full (next to this binary or on PATH), with this very command line.
	full := exec.Command(path, os.Args[1:]...)
	full.Stdin = cmd.InOrStdin()
	full.Stdout, full.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := full.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exitCode(exit.ExitCode())
		}
		return fmt.Errorf("running %s: %w", path, err)
	}
	return nil
}

// The lean build carries no code of `new`, `check` and `rekey` (they link
// the full sops library and Kubernetes clients): these stand-ins have the
// real help and flags of new, check and rekey (cli_new.go, cli_check.go,
// cli_rekey.go), so --help and flag errors work with the lean build alone,
// and hand the command, flags and all, to the full build.
func newNewCommand() *cobra.Command {
	cmd := newNewShell(&newFlags{})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return handOver(cmd, errNeedsFull(cmd)) }
	return cmd
}
func newRekeyCommand() *cobra.Command {
	cmd := newRekeyShell(&rekeyFlags{})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return handOver(cmd, errNeedsFull(cmd)) }
	return cmd
}

func newCheckCommand() *cobra.Command {
	cmd := newCheckShell(&checkFlags{})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return handOver(cmd, errNeedsFull(cmd)) }
	return cmd
}

// errNeedsFull is why a stand-in hands over: its command needs the full build.
func errNeedsFull(cmd *cobra.Command) error {
	return fmt.Errorf("%s needs the full build", cmd.CommandPath())
}
