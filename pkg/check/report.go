package check

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Write prints the report: a table with one row per pair, every finding and
// live check below it, and a summary line.
func (r *Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "REQUEST\tPAIR\tSIDE\tDESTINATION\tMODE\tSTORAGE\tEXPIRES\tRESULT"
	if r.Live {
		header += "\tAPI SERVER\tPORTWORX"
	}
	fmt.Fprintln(tw, header)
	for _, p := range r.Pairs {
		row := []string{p.Request.Path, p.Name, string(p.Side), orDash(p.Server), orDash(p.Mode), orDash(p.Storage), p.expiresColumn(), p.result()}
		if r.Live {
			row = append(row, p.liveStatus(CheckAPIServer), p.liveStatus(CheckPortworx))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	var b strings.Builder
	for _, p := range r.Pairs {
		if len(p.Findings) == 0 && len(p.Live) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s (%s, %s side):\n", p.Request.Path, p.Name, p.Side)
		for _, f := range p.Findings {
			fmt.Fprintf(&b, "  %s: ", f.Severity)
			if f.Field != "" {
				fmt.Fprintf(&b, "%s: ", f.Field)
			}
			b.WriteString(f.Text() + "\n")
		}
		for _, l := range p.Live {
			fmt.Fprintf(&b, "  live: %s: %s: %s\n", l.Check, l.Status, l.Detail)
		}
	}
	b.WriteString("\n" + r.summary() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// result is the RESULT column: ok, or the counts of errors and warnings.
func (p *Pair) result() string {
	var parts []string
	if n := p.Errors(); n > 0 {
		parts = append(parts, plural(n, "error"))
	}
	if n := p.Warnings(); n > 0 {
		parts = append(parts, plural(n, "warning"))
	}
	if len(parts) == 0 {
		return "ok"
	}
	return strings.Join(parts, ", ")
}

func (p *Pair) liveStatus(check string) string {
	for _, l := range p.Live {
		if l.Check == check {
			if l.Status == LiveFailed {
				return "FAILED"
			}
			return string(l.Status)
		}
	}
	return "-"
}

// summary counts pairs and says which checks ran.
func (r *Report) summary() string {
	failed, warned := 0, 0
	for _, p := range r.Pairs {
		switch {
		case p.Failed():
			failed++
		case p.Warnings() > 0:
			warned++
		}
	}
	them := "them"
	if len(r.Pairs) == 1 {
		them = "it"
	}
	s := fmt.Sprintf("%s checked by rendering %s as the function does: %d ok, %d with warnings, %d failed.",
		plural(len(r.Pairs), "pair"), them, len(r.Pairs)-failed-warned, warned, failed)
	if !r.Live {
		return s + "\nLive checks not run (--live calls GET /version on each destination and connects to its Portworx endpoint, from this machine)."
	}
	passed, failedLive, skipped, plugins := 0, 0, 0, 0
	for _, p := range r.Pairs {
		for _, l := range p.Live {
			switch l.Status {
			case LivePassed:
				passed++
			case LiveFailed:
				failedLive++
			case LiveSkipped:
				skipped++
				if strings.HasPrefix(l.Detail, NeedsAllowExec) {
					plugins++
				}
			}
		}
	}
	s += fmt.Sprintf("\nLive checks, run from this machine (the Stork pod may see the network differently): %d passed, %d failed, %d skipped.", passed, failedLive, skipped)
	if plugins > 0 {
		s += fmt.Sprintf("\n%s skipped because the kubeconfig would run an exec plugin or auth-provider from the repository on this machine; --allow-exec runs it with a minimal environment (PATH, HOME, locale, CA paths).", plural(plugins, "API server check"))
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
