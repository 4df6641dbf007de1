package author

import (
	"fmt"
	"io"
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
// variable: --token-file/--token-env and the object store's
// --*-file/--*-env pairs. Errors name the flag and the file or variable,
// never the value.
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
			return nil, fmt.Errorf("%s %s: the variable is not set or empty", s.envFlag, s.env)
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
			return nil, fmt.Errorf("%s: %s", s.fileFlag, safePathError(err))
		}
		defer f.Close()
		r = f
	}
	b, tooLarge, err := secrets.ReadAtMost(r, secrets.MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %s", s.fileFlag, s.file, safePathError(err))
	}
	if tooLarge {
		return nil, fmt.Errorf("%s %s: more than %d bytes; %s", s.fileFlag, s.file, secrets.MaxFileSize, s.what)
	}
	return b, nil
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
