// Command stamp times a generator as kustomize runs it, for `make bench`'s
// pre/function/post split of a kustomize build. Installed on PATH under the
// generator's name, it runs $STAMP_TARGET with its own arguments, stdin,
// stdout and stderr, and appends "START END" (Unix nanoseconds, before the
// start and after the exit of the target) to $STAMP_FILE. It exits with the
// target's status.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	target, file := os.Getenv("STAMP_TARGET"), os.Getenv("STAMP_FILE")
	if target == "" || file == "" {
		fmt.Fprintln(os.Stderr, "stamp: STAMP_TARGET and STAMP_FILE must be set")
		os.Exit(2)
	}
	cmd := exec.Command(target, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now().UnixNano()
	err := cmd.Run()
	end := time.Now().UnixNano()
	if f, ferr := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); ferr == nil {
		fmt.Fprintf(f, "%d %d\n", start, end)
		_ = f.Close()
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "stamp:", err)
		os.Exit(1)
	}
}
