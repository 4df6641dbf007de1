package main

import "fmt"

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
