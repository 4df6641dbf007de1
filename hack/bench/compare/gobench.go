package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
)

type benchRow struct {
	name     string
	nsPerOp  float64
	bytesOp  int64
	allocsOp int64
}

type benchGroup struct {
	title string
	args  []string
	cmd   string
	rows  []benchRow
	err   error
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+(\d+) B/op)?(?:\s+(\d+) allocs/op)?`)

func parseBench(out string) []benchRow {
	var rows []benchRow
	for _, line := range strings.Split(out, "\n") {
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		b, _ := strconv.ParseInt(m[3], 10, 64)
		a, _ := strconv.ParseInt(m[4], 10, 64)
		rows = append(rows, benchRow{name: strings.TrimPrefix(m[1], "Benchmark"), nsPerOp: ns, bytesOp: b, allocsOp: a})
	}
	return rows
}

// goBenchmarks runs the hot-path benchmarks with each decryptor, and the
// sopsfile package's own.
func goBenchmarks(ctx context.Context, repo string, bins []*binary, ws, benchtime string) []benchGroup {
	common := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime}
	groups := []benchGroup{{title: "Hot paths with the full build's decryptor (sops library)", args: []string{"./hack/bench/hotpath"}}}
	for _, b := range bins {
		if b.role == roleLean && b.err == nil {
			title := "Hot paths with the lean build's decryptor (pkg/secrets/sopslean)"
			groups = append(groups, benchGroup{title: title, args: append(b.buildArgs(), "./hack/bench/hotpath")})
		}
	}
	groups = append(groups, benchGroup{title: "Decrypting one file: sops library against sopsfile", args: []string{"./pkg/secrets/sopsfile"}})
	for i := range groups {
		g := &groups[i]
		args := append(append([]string{}, common...), g.args...)
		g.cmd = "go " + strings.ReplaceAll(strings.Join(args, " "), ws+"/", relTo(repo, ws)+"/")
		logf("go benchmarks: %s", g.title)
		out, err := goCmd(ctx, repo, args...)
		g.rows, g.err = parseBench(string(out)), err
	}
	return groups
}
