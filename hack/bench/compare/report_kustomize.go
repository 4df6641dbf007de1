package main

import (
	"fmt"
	"time"
)

// kustomizeSection writes the kustomize build section: whole builds against
// the pair-only floor, then the pre/function/post split.
func (r *report) kustomizeSection(w func(string, ...any)) {
	w("\n## kustomize build\n\n")
	k := r.kustomize
	switch {
	case k == nil && r.kustomizeErr != nil:
		w("Not measured: %s\n", oneLine(r.kustomizeErr.Error()))
		return
	case k == nil:
		w("Skipped.\n")
		return
	}
	w("`kustomize build --enable-alpha-plugins --enable-exec` of a copy of `examples/kustomize`, the generator found on PATH as `clusterpair-fn`:\n\n")
	w("- **%s** (the floor): `#!/bin/sh` + `exec cat` of a ResourceList holding only the objects the function renders for this very input (%d bytes): what any generator of this ClusterPair must print;\n", pairOnlyName, k.outputBytes[pairOnlyName])
	w("- **%s**: the same output printed by `hack/bench/floorgen`, a Go program built with the fn SDK alone that reads and parses its input first, as every Go KRM function does, and renders nothing;\n", goFloorName)
	w("- **%s**: the same plus kustomize's local-config copy of the ClusterPairRequest, with the index and id annotations kyaml gives it, as clusterpair-fn printed before it returned only what it generated (%d bytes);\n", echoName, k.outputBytes[echoName])
	w("- the two builds of the function (the lean one prints %d bytes).\n\n", k.outputBytes[r.nameOf(roleLean)])
	w("Every build prints the same bytes (checked). %d interleaved rounds after %d warm-up rounds; CPU is kustomize's and the generator's, user + system.\n\n", r.opts.kustomizeRuns, r.opts.warmup)
	w("| generator | min | median | max | CPU (median) | median / floor | CPU / floor |\n|---|---:|---:|---:|---:|---:|---:|\n")
	floor := find(k.builds, pairOnlyName)
	okFloor := floor != nil && len(floor.samples) > 0
	for _, s := range k.builds {
		if s.failed != nil || len(s.samples) == 0 {
			note := s.note
			if s.failed != nil {
				note = "failed: " + oneLine(s.failed.Error())
			}
			w("| %s | %s | | | | | |\n", s.name, note)
			continue
		}
		lo, hi := minMax(s.walls())
		ratio, cpuRatio := "-", "-"
		if okFloor {
			ratio = fmt.Sprintf("%.2f×", float64(median(s.walls()))/float64(median(floor.walls())))
			cpuRatio = fmt.Sprintf("%.2f×", float64(median(s.cpus()))/float64(median(floor.cpus())))
		}
		w("| %s | %s | %s | %s | %s | %s | %s |\n", s.name, fmtDur(lo), fmtDur(median(s.walls())), fmtDur(hi), fmtDur(median(s.cpus())), ratio, cpuRatio)
	}
	if okFloor {
		for _, name := range []string{r.nameOf(roleLean), r.nameOf(roleFull)} {
			if s := find(k.builds, name); s != nil && len(s.samples) > 0 {
				ratio := float64(median(s.walls())) / float64(median(floor.walls()))
				w("\nTarget ≤ 1.3× the pair-only floor: `%s` %.2f× — %s.", name, ratio, verdict(ratio <= 1.3))
			}
		}
		w("\n")
	}

	if len(k.phases) == 0 {
		if r.kustomizeErr != nil {
			w("\nSplit not measured: %s\n", oneLine(r.kustomizeErr.Error()))
		}
		return
	}
	w("\n### Where a build's time goes\n\n")
	w("The same builds with the generator wrapped by `hack/bench/stamp`, which records the wall clock right before it starts the generator and right after the generator exits: **before** is kustomize from its start to the generator's start, **generator** is the generator's run, **after** is kustomize from the generator's exit to its own. The wrapper's own start-up and exit (one small static Go program, the same for every generator) fall in before and after. Medians of %d interleaved rounds; each phase's median is taken on its own, so they need not add up to the total.\n\n", r.opts.kustomizeRuns)
	w("| generator | before | generator | after | total | generator − floor's | after − floor's |\n|---|---:|---:|---:|---:|---:|---:|\n")
	var fl *phaseSeries
	for _, p := range k.phases {
		if p.name == pairOnlyName && p.failed == nil && len(p.fn) > 0 {
			fl = p
		}
	}
	for _, p := range k.phases {
		if p.failed != nil || len(p.fn) == 0 {
			msg := "no runs"
			if p.failed != nil {
				msg = "failed: " + oneLine(p.failed.Error())
			}
			w("| %s | %s | | | | | |\n", p.name, msg)
			continue
		}
		total := make([]time.Duration, len(p.fn))
		for i := range p.fn {
			total[i] = p.pre[i] + p.fn[i] + p.post[i]
		}
		dFn, dPost := "-", "-"
		if fl != nil {
			dFn = signed(median(p.fn) - median(fl.fn))
			dPost = signed(median(p.post) - median(fl.post))
		}
		w("| %s | %s | %s | %s | %s | %s | %s |\n", p.name, fmtDur(median(p.pre)), fmtDur(median(p.fn)), fmtDur(median(p.post)), fmtDur(median(total)), dFn, dPost)
	}
	r.kustomizeRemainder(w, fl)
}

// kustomizeRemainder says what separates the lean function's build from the
// floor's, phase by phase, and how much of it any Go fn-SDK generator pays.
func (r *report) kustomizeRemainder(w func(string, ...any), fl *phaseSeries) {
	var lean, goFloor *phaseSeries
	for _, p := range r.kustomize.phases {
		if p.failed != nil || len(p.fn) == 0 {
			continue
		}
		switch p.name {
		case r.nameOf(roleLean):
			lean = p
		case goFloorName:
			goFloor = p
		}
	}
	if fl == nil || lean == nil || goFloor == nil {
		return
	}
	startUp := median(goFloor.fn) - median(fl.fn)
	rendering := median(lean.fn) - median(goFloor.fn)
	after := median(lean.post) - median(fl.post)
	w("\nWhat separates `%s` from the floor, by these medians: its run is %s longer than the shell script's, of which %s is what the %s pays too (starting a Go program and parsing the ResourceList with the fn SDK) and %s is clusterpair-fn's own work and start-up beyond that (decoding and validating the request, decrypting the two age files, loading the kubeconfig with clientcmd and checking it as Stork does, encoding the ClusterPair; initialising client-go, sops's age/PGP code and cobra, which the fn-SDK floor does not link); after it exits kustomize spends %s compared with the floor.\n",
		lean.name, signed(median(lean.fn)-median(fl.fn)), signed(startUp), goFloorName, signed(rendering), signed(after))
}

// signed formats a difference of durations with its sign.
func signed(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	if d == 0 {
		return "0"
	}
	return "+" + fmtDur(d)
}
