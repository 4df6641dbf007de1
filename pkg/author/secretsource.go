package author

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// envName is a portable environment variable name. A --X-env value that is
// not one is most likely the secret itself, given by mistake: it is never
// echoed.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretSource is a secret given on the command line as a file (read in
// place, never copied; "-" for stdin) or as the name of an environment
// variable: --token-file/--token-env, --reverse-token-file/-env and the
// object store's --*-file/--*-env pairs. Errors name the flag and what is
// wrong, never what was given: an operator who pastes the secret itself
// in place of a file or variable name must not find it in stderr or a CI
// log, whether or not it happens to look like a path or a variable name.
type secretSource struct {
	// fileFlag and envFlag are the flags' names, e.g. "--token-file".
	fileFlag, envFlag string
	// file and env are their values; at most one is set.
	file, env string
	// what says what the value is, for the size error.
	what string
}

// given reports whether either flag is set.
func (s secretSource) given() bool { return s.file != "" || s.env != "" }

// check fails when both flags are set.
func (s secretSource) check() error {
	if s.file != "" && s.env != "" {
		return fmt.Errorf("give %s or %s, not both", s.fileFlag, s.envFlag)
	}
	return nil
}

// read reads the value from its file, stdin, or the environment.
func (s secretSource) read(stdin io.Reader, getenv func(string) string) ([]byte, error) {
	if s.env != "" {
		if !envName.MatchString(s.env) {
			return nil, fmt.Errorf("%s: the value given is not a variable name (it is not shown: it may be the secret itself); give the name of the variable that holds the value", s.envFlag)
		}
		v := getenv(s.env)
		if v == "" {
			return nil, fmt.Errorf("the variable named by %s is not set or is empty", s.envFlag)
		}
		return []byte(v), nil
	}
	var r io.Reader
	if s.file == "-" {
		if stdin == nil {
			return nil, fmt.Errorf("%s -: no standard input", s.fileFlag)
		}
		r = stdin
	} else {
		f, err := os.Open(s.file)
		if err != nil {
			return nil, fmt.Errorf("%s cannot be opened: %s", s.fileDesc(), withoutPath(err))
		}
		defer f.Close()
		r = f
	}
	b, tooLarge, err := secrets.ReadAtMost(r, secrets.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%s cannot be read: %s", s.fileDesc(), withoutPath(err))
	}
	if tooLarge {
		return nil, fmt.Errorf("%s holds more than %d bytes; %s", s.fileDesc(), secrets.MaxFileSize, s.what)
	}
	return b, nil
}

// fileDesc names the file flag's input without its value: "the file given
// to --token-file", or standard input.
func (s secretSource) fileDesc() string {
	if s.file == "-" {
		return "the standard input (" + s.fileFlag + " -)"
	}
	return "the file given to " + s.fileFlag
}

// withoutPath is the OS's reason for a file error ("no such file or
// directory", "permission denied", "is a directory"), without the path.
func withoutPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// checkOneStdin fails when more than one source reads stdin: the second
// would read nothing.
func checkOneStdin(sources []secretSource) error {
	var first string
	for _, s := range sources {
		if s.file != "-" {
			continue
		}
		if first != "" {
			return fmt.Errorf("%s - and %s -: only one flag can read standard input", first, s.fileFlag)
		}
		first = s.fileFlag
	}
	return nil
}
