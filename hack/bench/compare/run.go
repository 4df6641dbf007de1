package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"syscall"
	"time"
)

// sample is one process run.
type sample struct {
	wall  time.Duration
	cpu   time.Duration // user + system
	rssKB int64         // peak resident set size (rusage ru_maxrss)
}

// series is the samples of one program in one scenario.
type series struct {
	name    string
	samples []sample
	note    string // e.g. killed after the timeout
	failed  error
}

func (s *series) walls() []time.Duration {
	w := make([]time.Duration, len(s.samples))
	for i, x := range s.samples {
		w[i] = x.wall
	}
	return w
}

func (s *series) cpus() []time.Duration {
	w := make([]time.Duration, len(s.samples))
	for i, x := range s.samples {
		w[i] = x.cpu
	}
	return w
}

func (s *series) maxRSS() int64 {
	var m int64
	for _, x := range s.samples {
		m = max(m, x.rssKB)
	}
	return m
}

func sorted(d []time.Duration) []time.Duration {
	c := append([]time.Duration{}, d...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	c := sorted(d)
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

func minMax(d []time.Duration) (time.Duration, time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	c := sorted(d)
	return c[0], c[len(c)-1]
}

// job is a command to time: argv, working directory, stdin file.
type job struct {
	argv  []string
	dir   string
	stdin string
	env   []string
}

// runOnce starts the job and measures it from Start to Wait; stdout goes to
// /dev/null unless capture is set.
func runOnce(ctx context.Context, j job, timeout time.Duration, capture bool) (sample, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, j.argv[0], j.argv[1:]...)
	cmd.Dir, cmd.Env = j.dir, j.env
	if j.stdin != "" {
		f, err := os.Open(j.stdin)
		if err != nil {
			return sample{}, nil, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var out bytes.Buffer
	if capture {
		cmd.Stdout = &out
	} else {
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return sample{}, nil, err
		}
		defer devnull.Close()
		cmd.Stdout = devnull
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	wall := time.Since(start)
	if ctx.Err() == context.DeadlineExceeded {
		return sample{}, nil, errTimeout
	}
	if err != nil {
		msg := stderr.String()
		if len(msg) > 600 {
			msg = msg[:600] + "..."
		}
		return sample{}, nil, fmt.Errorf("%v: %s", err, msg)
	}
	s := sample{wall: wall}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.rssKB = ru.Maxrss
	}
	return s, out.Bytes(), nil
}

var errTimeout = errors.New("timed out")

// interleave runs every job `runs` times after `warmup` unrecorded rounds,
// one round at a time, rotating the order each round so that no program
// always runs first (or right after a given other one).
func interleave(ctx context.Context, names []string, jobs []job, warmup, runs int, timeout time.Duration) []*series {
	out := make([]*series, len(jobs))
	for i := range jobs {
		out[i] = &series{name: names[i]}
	}
	for round := -warmup; round < runs; round++ {
		for k := range jobs {
			i := (k + round + warmup) % len(jobs)
			s := out[i]
			if s.failed != nil || s.note != "" {
				continue
			}
			smp, _, err := runOnce(ctx, jobs[i], timeout, false)
			switch {
			case errors.Is(err, errTimeout):
				s.note = fmt.Sprintf("> %s (killed)", timeout)
			case err != nil:
				s.failed = err
			case round >= 0:
				s.samples = append(s.samples, smp)
			}
		}
	}
	return out
}
