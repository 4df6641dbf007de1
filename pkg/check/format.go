package check

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// Output formats of a report (`check -o`).
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatJUnit = "junit"
)

// Formats lists the output formats WriteFormat accepts.
var Formats = []string{FormatTable, FormatJSON, FormatJUnit}

// WriteFormat writes the report in the named format (see Formats).
func (r *Report) WriteFormat(w io.Writer, format string) error {
	switch format {
	case FormatTable, "":
		return r.Write(w)
	case FormatJSON:
		return r.WriteJSON(w)
	case FormatJUnit:
		return r.WriteJUnit(w)
	}
	return fmt.Errorf("output format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// JSONReport is the shape of `check -o json` (documented in docs/api.md).
type JSONReport struct {
	// APIVersion versions this shape: "check.clusterpair.dev/v1alpha1".
	APIVersion string `json:"apiVersion"`
	// Live says whether the live checks ran.
	Live bool `json:"live"`
	// Failed is true when any pair has an error or a failed live check.
	Failed bool `json:"failed"`
	// Summary counts the pairs by outcome.
	Summary JSONSummary `json:"summary"`
	// Pairs are the pairs checked, one per request and side, in file order.
	Pairs []JSONPair `json:"pairs"`
}

// JSONSummary counts pairs: ok (no finding), with warnings only, failed.
type JSONSummary struct {
	Pairs    int `json:"pairs"`
	OK       int `json:"ok"`
	Warnings int `json:"warnings"`
	Failed   int `json:"failed"`
}

// JSONPair is one pair of a JSONReport.
type JSONPair struct {
	// File and Index locate the request (Index: the YAML document, from 0).
	File  string `json:"file"`
	Index int    `json:"index"`
	// Name is the ClusterPair's namespace/name; Side is source or destination.
	Name string `json:"name"`
	Side string `json:"side"`
	// Destination is the destination API server (no password, no query).
	Destination string `json:"destination,omitempty"`
	// Mode and Storage are spec.mode and the Portworx endpoint HOST:PORT.
	Mode    string `json:"mode,omitempty"`
	Storage string `json:"storage,omitempty"`
	// CredentialsExpire is the earliest known expiry of the pair's
	// credentials (RFC 3339, UTC); absent when none is known.
	CredentialsExpire string `json:"credentialsExpire,omitempty"`
	// Result is "ok", "warning" or "failed".
	Result string `json:"result"`
	// Findings are the function's errors and warnings.
	Findings []JSONFinding `json:"findings"`
	// Live are the live checks, when they ran.
	Live []JSONLive `json:"live,omitempty"`
}

// JSONFinding is one finding of a pair; Message names the file involved,
// if any (diag.Finding.Text).
type JSONFinding struct {
	Severity string `json:"severity"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// JSONLive is one live check of a pair.
type JSONLive struct {
	Check  string `json:"check"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// jsonAPIVersion versions the JSON shape.
const jsonAPIVersion = "check.clusterpair.dev/v1alpha1"

// JSON returns the report in the JSON shape. It holds what the table
// holds: nothing secret.
func (r *Report) JSON() JSONReport {
	out := JSONReport{APIVersion: jsonAPIVersion, Live: r.Live, Failed: r.Failed(), Pairs: []JSONPair{}}
	for _, p := range r.Pairs {
		jp := JSONPair{
			File: p.Request.Path, Index: p.Request.Index, Name: p.Name, Side: string(p.Side),
			Destination: p.Server, Mode: p.Mode, Storage: p.Storage,
			Result: p.outcome(), Findings: []JSONFinding{},
		}
		if !p.Expires.IsZero() {
			jp.CredentialsExpire = p.Expires.UTC().Format(time.RFC3339)
		}
		for _, f := range p.Findings {
			jp.Findings = append(jp.Findings, JSONFinding{Severity: string(f.Severity), Field: f.Field, Message: f.Text()})
		}
		for _, l := range p.Live {
			jp.Live = append(jp.Live, JSONLive{Check: l.Check, Status: string(l.Status), Detail: l.Detail})
		}
		out.Pairs = append(out.Pairs, jp)
		out.Summary.Pairs++
		switch jp.Result {
		case "failed":
			out.Summary.Failed++
		case "warning":
			out.Summary.Warnings++
		default:
			out.Summary.OK++
		}
	}
	return out
}

// outcome is "failed" (an error or a failed live check), "warning" or "ok".
func (p *Pair) outcome() string {
	switch {
	case p.Failed():
		return "failed"
	case p.Warnings() > 0:
		return "warning"
	}
	return "ok"
}

// WriteJSON writes the report as indented JSON (see JSONReport).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.JSON()); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	return nil
}

// junitSuites is the JUnit XML document CI systems read: one test suite,
// one test case per pair, a failure per pair with an error or a failed live
// check, and the warnings and skipped live checks as system-out.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one test case per pair
// (classname: the request file; name: pair and side), failed when the pair
// has an error or a failed live check.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{Name: "clusterpair-fn check"}
	for _, jp := range r.JSON().Pairs {
		c := junitCase{Name: jp.Name + " (" + jp.Side + " side)", ClassName: jp.File, File: jp.File}
		var failures, notes []string
		for _, f := range jp.Findings {
			line := f.Severity + ": " + f.Message
			if f.Field != "" {
				line = f.Severity + ": " + f.Field + ": " + f.Message
			}
			if f.Severity == "error" {
				failures = append(failures, line)
			} else {
				notes = append(notes, line)
			}
		}
		for _, l := range jp.Live {
			line := "live: " + l.Check + ": " + l.Status + ": " + l.Detail
			if l.Status == string(LiveFailed) {
				failures = append(failures, line)
			} else {
				notes = append(notes, line)
			}
		}
		if len(failures) > 0 {
			c.Failure = &junitFailure{Message: failures[0], Type: "error", Text: strings.Join(failures, "\n")}
			suite.Failures++
		}
		c.SystemOut = strings.Join(notes, "\n")
		suite.Cases = append(suite.Cases, c)
		suite.Tests++
	}
	doc := junitSuites{Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
