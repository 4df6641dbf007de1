//go:build lean

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets/sopslean"
)

// The lean build decrypts age and PGP files with sops's own key sources
// but links no cloud KMS SDK, which cost most of a render's start-up. Work
// that needs them (KMS or Vault keys, encryption, new, check) is handed over
// to the full build, clusterpair-fn-full, installed next to this binary or
// on PATH.

// newDecryptor returns the lean build's decryptor (package sopslean) under
// the operator's policy, confined to a tenant's keys when one is given.
func newDecryptor(p secrets.KeyPolicy, tenant *secrets.TenantKeys) (secrets.Decryptor, error) {
	d, err := sopslean.NewDecryptor().WithKeyPolicy(p).WithTenantKeys(tenant)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// newEncryptor returns the lean build's encryptor, which refuses with
// secrets.ErrNeedsFullSOPS: encryption hands the run over.
func newEncryptor() secrets.Encryptor { return sopslean.NewEncryptor() }

// fullBinary is the name of the full build.
const fullBinary = "clusterpair-fn-full"

// fullOnly names everything the full build alone does.
const fullOnly = "it runs `clusterpair-fn new`, `clusterpair-fn check` and `clusterpair-fn rekey`, and renders with KMS/Vault keys; install both builds: make install"

// handOver reruns this very command with the full build: same arguments,
// the same stdin (already read, when given), stdout and stderr passed
// through, and its exit code. Nothing has been written by this process.
func handOver(cmd *cobra.Command, stdin []byte, cause error) error {
	path, err := findFull()
	if err != nil {
		if cause == nil {
			cause = errors.New("this command needs the full build")
		}
		return fmt.Errorf("%v; %w", cause, err)
	}
	//nolint:gosec // G204: the operator's clusterpair-fn-full (next to this binary or on PATH), with this very command line.
	full := exec.Command(path, os.Args[1:]...)
	if stdin != nil {
		full.Stdin = bytes.NewReader(stdin)
	} else {
		full.Stdin = cmd.InOrStdin()
	}
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

func findFull() (string, error) {
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), fullBinary)
		if _, err := os.Stat(sibling); err == nil {
			return sibling, nil
		}
	}
	if path, err := exec.LookPath(fullBinary); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("%s is not installed next to clusterpair-fn or on PATH (%s)", fullBinary, fullOnly)
}

// The lean build carries no code of `new`, `check` and `rekey` (they link
// the full sops library and Kubernetes clients): these stand-ins have the
// real help and flags of new, check and rekey (cli_new.go, cli_check.go,
// cli_rekey.go), so --help and flag errors work with the lean build alone,
// and hand the command, flags and all, to the full build.
func newNewCommand() *cobra.Command {
	cmd := newNewShell(&newFlags{})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return handOver(cmd, nil, errNeedsFull(cmd)) }
	return cmd
}
func newRekeyCommand() *cobra.Command {
	cmd := newRekeyShell(&rekeyFlags{})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return handOver(cmd, nil, errNeedsFull(cmd)) }
	return cmd
}

func newCheckCommand() *cobra.Command {
	cmd := newCheckShell(&checkFlags{})
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return handOver(cmd, nil, errNeedsFull(cmd)) }
	return cmd
}

// errNeedsFull is why a stand-in hands over: its command needs the full build.
func errNeedsFull(cmd *cobra.Command) error {
	return fmt.Errorf("%s needs the full build", cmd.CommandPath())
}
