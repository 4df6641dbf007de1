package fn_test

import (
	"strings"
	"testing"
)

// TestNotFoundSuggestsRoot: a request that names no package or file (kpt
// fn eval --fn-config from another directory) and whose file is missing
// gets a hint naming --root; one that names its file does not.
func TestNotFoundSuggestsRoot(t *testing.T) {
	dir := fixtureDir(t)
	cases := []struct {
		name string
		in   []byte
		want bool
	}{
		{"functionConfig without annotations", resourceList(t, request("a", "app", "missing.yaml")), true},
		{"item with its path", resourceList(t, "", request("a", "app", "missing.yaml", "internal.config.kubernetes.io/path", "clusterpair.yaml")), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, err := run(t, dir, c.in)
			if err == nil {
				t.Fatal("a missing file must fail the render")
			}
			if !strings.Contains(stderr, "missing.yaml") {
				t.Fatalf("stderr does not name the file:\n%s", stderr)
			}
			if got := strings.Contains(stderr, "--root PATH/TO/PACKAGE"); got != c.want {
				t.Errorf("hint shown: %v, want %v\n%s", got, c.want, stderr)
			}
		})
	}
}
