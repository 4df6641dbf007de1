//go:build cluster

package cluster

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// report collects what the suite did; TestMain prints it at the end.
type report struct {
	sync.Mutex
	servers, applied, dryRuns, skipped []string
	probes                             []probeOutcome
}

type probeOutcome struct {
	name, expected, got string
	ok                  bool
}

var summary report

func (r *report) add(list *[]string, format string, args ...any) {
	r.Lock()
	defer r.Unlock()
	*list = append(*list, fmt.Sprintf(format, args...))
}

func (r *report) addServer(format string, args ...any)  { r.add(&r.servers, format, args...) }
func (r *report) addApplied(format string, args ...any) { r.add(&r.applied, format, args...) }
func (r *report) addDryRun(format string, args ...any)  { r.add(&r.dryRuns, format, args...) }
func (r *report) addSkipped(format string, args ...any) { r.add(&r.skipped, format, args...) }

func (r *report) addProbe(p probeOutcome) {
	r.Lock()
	defer r.Unlock()
	r.probes = append(r.probes, p)
}

func TestMain(m *testing.M) {
	code := m.Run()

	var b strings.Builder
	summary.Lock()
	fmt.Fprintf(&b, "\n==== cluster e2e summary ====\n")
	fmt.Fprintf(&b, "servers started: %d\n", len(summary.servers))
	for _, s := range summary.servers {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "objects applied (server-side apply): %d\n", len(summary.applied))
	for _, s := range summary.applied {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	passed := 0
	for _, p := range summary.probes {
		if p.ok {
			passed++
		}
	}
	fmt.Fprintf(&b, "pairing probes: %d of %d as expected\n", passed, len(summary.probes))
	for _, p := range summary.probes {
		mark := "ok  "
		if !p.ok {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %s\n         expected: %s\n         got:      %s\n", mark, p.name, p.expected, p.got)
	}
	fmt.Fprintf(&b, "example objects server-side dry-run: %d\n", len(summary.dryRuns))
	for _, s := range summary.dryRuns {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	if len(summary.skipped) > 0 {
		fmt.Fprintf(&b, "example documents not sent to the server: %d\n", len(summary.skipped))
		for _, s := range summary.skipped {
			fmt.Fprintf(&b, "  %s\n", s)
		}
	}
	summary.Unlock()

	left := leftovers()
	tracked.Lock()
	fmt.Fprintf(&b, "teardown: %d processes started, %d loopback ports used; ", len(tracked.procs), len(tracked.ports))
	tracked.Unlock()
	if len(left) == 0 {
		fmt.Fprintf(&b, "none left running or listening\n")
	} else {
		fmt.Fprintf(&b, "LEFT BEHIND:\n  %s\n", strings.Join(left, "\n  "))
		code = 1
	}
	fmt.Fprint(os.Stdout, b.String())
	os.Exit(code)
}
