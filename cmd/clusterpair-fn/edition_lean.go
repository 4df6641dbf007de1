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
)

// The lean build decrypts age and PGP files with sops's own key sources
// but links no cloud KMS SDK, which cost most of a render's start-up. Work
// that needs them (KMS or Vault keys, encryption, new, check) is handed over
// to the full build, clusterpair-fn-full, installed next to this binary or
// on PATH.

// fullBinary is the name of the full build.
const fullBinary = "clusterpair-fn-full"

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
	return "", fmt.Errorf("%s is not installed next to clusterpair-fn or on PATH (it handles KMS/Vault keys and encryption)", fullBinary)
}

// The lean build carries no code of `new`, `check` and `rekey` (they link the full
// sops library and Kubernetes clients): these stand-ins hand the command,
// flags and all, to the full build.
func newNewCommand() *cobra.Command {
	return handOverCommand("new", "Create a pair directory (runs clusterpair-fn-full)")
}
func newCheckCommand() *cobra.Command {
	return handOverCommand("check", "Check every ClusterPairRequest (runs clusterpair-fn-full)")
}
func newRekeyCommand() *cobra.Command {
	return handOverCommand("rekey", "Re-encrypt the referenced files to today's .sops.yaml recipients (runs clusterpair-fn-full)")
}

func handOverCommand(name, short string) *cobra.Command {
	return &cobra.Command{
		Use:                name,
		Short:              short,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return handOver(cmd, nil, nil)
		},
	}
}
