// Package diag carries findings (errors and warnings) about a ClusterPairRequest
// from the code that detects them to the code that reports them.
//
// A Finding names the field it is about and, where one is involved, the file.
// Its message is written for a human and must never contain a decrypted value:
// every producer of findings builds messages from field paths, file paths,
// names and counts only.
package diag

import (
	"fmt"
	"strings"
)

// Severity is how serious a Finding is.
type Severity string

const (
	// Error means no output may be produced.
	Error Severity = "error"
	// Warning means the output is produced but Stork will probably fail to use it.
	Warning Severity = "warning"
)

// Finding is one error or warning about a field of a request.
type Finding struct {
	// Severity is Error or Warning.
	Severity Severity
	// Field is the dotted path of the field the finding is about, e.g. "spec.storage.port".
	Field string
	// File is the repository file involved (a referenced secret file), if any.
	File string
	// Message explains the problem and, where possible, the fix.
	Message string
}

// Error implements error so that a Finding can travel as one.
func (f Finding) Error() string {
	var b strings.Builder
	if f.Field != "" {
		b.WriteString(f.Field)
		b.WriteString(": ")
	}
	if f.File != "" {
		fmt.Fprintf(&b, "file %q: ", f.File)
	}
	b.WriteString(f.Message)
	return b.String()
}

// Text is the finding without its field and severity: the message, after
// the file when there is one. It is how the function's results and check's
// reports word a finding.
func (f Finding) Text() string {
	if f.File == "" {
		return f.Message
	}
	return fmt.Sprintf("file %q: %s", f.File, f.Message)
}

// Findings is an ordered list of findings.
type Findings []Finding

// Errorf appends an error finding.
func (fs *Findings) Errorf(field, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: Error, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Warnf appends a warning finding.
func (fs *Findings) Warnf(field, format string, args ...any) {
	*fs = append(*fs, Finding{Severity: Warning, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Add appends findings.
func (fs *Findings) Add(more ...Finding) {
	*fs = append(*fs, more...)
}

// HasErrors reports whether any finding is an error.
func (fs Findings) HasErrors() bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the error findings.
func (fs Findings) Errors() Findings {
	var out Findings
	for _, f := range fs {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}
