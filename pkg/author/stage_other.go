//go:build !linux

package author

import (
	"errors"
	"os"
)

// errNoUnnamedFiles means the OS cannot create unnamed files: outside Linux
// stage always falls back to a named temporary file (see stagedFile).
var errNoUnnamedFiles = errors.New("unnamed temporary files are not supported on this OS")

func openUnnamed(string) (*os.File, error) { return nil, errNoUnnamedFiles }

func linkUnnamed(*os.File, string) error { return errNoUnnamedFiles }
