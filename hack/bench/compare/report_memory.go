package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
)

// memorySection writes the peak memory of the 1,000- and 10,000-request
// fleets side by side (from the fleet runs above; ru_maxrss).
func (r *report) memorySection(w func(string, ...any)) {
	var sizes []fleetResult
	for _, f := range r.fleet {
		if f.n == 1000 || f.n == 10000 {
			sizes = append(sizes, f)
		}
	}
	if len(sizes) == 0 {
		return
	}
	names := []string{r.nameOf(roleFloor), r.nameOf(roleLean), r.nameOf(roleFull)}
	w("\nPeak memory (largest `ru_maxrss` of the runs above; the process's whole resident set, runtime and binary included):\n\n| requests |")
	for _, n := range names {
		w(" `%s` |", n)
	}
	w("\n|---:|---:|---:|---:|\n")
	for _, f := range sizes {
		w("| %d |", f.n)
		for _, n := range names {
			s := find(f.series, n)
			if s == nil || len(s.samples) == 0 {
				w(" - |")
				continue
			}
			rss := s.maxRSS()
			w(" %s (%s per request) |", fmtRSS(rss), fmtKB(float64(rss)/float64(f.n)))
		}
		w("\n")
	}
}

func fmtKB(kb float64) string {
	if kb >= 1024 {
		return fmt.Sprintf("%.1f MB", kb/1024)
	}
	return fmt.Sprintf("%.1f KB", kb)
}

// memoryRuns runs the lean build once at each memory size of the fleets
// where the fleet runs left it out (its time extrapolated over the limit),
// with the longer memory limit, so that its peak memory is always reported.
func (r *report) memoryRuns(ctx context.Context, bins []*binary, env []string, o options) {
	var lean *binary
	for _, b := range bins {
		if b.role == roleLean {
			lean = b
		}
	}
	if lean == nil {
		return
	}
	for i := range r.fleet {
		f := &r.fleet[i]
		if !slices.Contains(o.memorySizes, f.n) {
			continue
		}
		s := find(f.series, lean.name)
		if s != nil && len(s.samples) > 0 {
			continue
		}
		dir := filepath.Join(r.ws, fmt.Sprintf("fleet-%d", f.n))
		logf("%d requests: one memory run of %s", f.n, lean.name)
		smp, _, err := runOnce(ctx, job{argv: []string{lean.path}, dir: dir, stdin: filepath.Join(dir, "input.yaml"), env: env}, o.memoryTimeout, false)
		ms := &series{name: lean.name}
		switch {
		case errors.Is(err, errTimeout):
			ms.note = fmt.Sprintf("memory run: > %s (killed)", o.memoryTimeout)
		case err != nil:
			ms.failed = err
		default:
			ms.samples = []sample{smp}
			ms.note = "memory run"
		}
		if s != nil {
			*s = *ms
		} else {
			f.series = append(f.series, ms)
		}
	}
}
