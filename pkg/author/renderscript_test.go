package author

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// TestRenderScriptsRefuseSymlinks (security review): the render.sh that
// `new --layout flux` writes lives in the request's directory, which
// whoever may change the request writes, and runs in CI with the key. A
// symbolic link on the way to an output (rendered/, a side's directory,
// the output file) made it write wherever the link points; both scripts
// (one side, both sides) now refuse before rendering anything, and
// nothing outside changes. A stand-in clusterpair-fn prints a pair and
// records that it ran; the scripts still render without links.
func TestRenderScriptsRefuseSymlinks(t *testing.T) {
	cases := []struct {
		name   string
		script []byte
		link   string // inside the directory, to the outside directory or its file
		toFile bool
	}{
		{"one side, rendered/", renderScript(), "rendered", false},
		{"one side, the output file to a file", renderScript(), "rendered/clusterpair.yaml", true},
		{"one side, the output file to a directory", renderScript(), "rendered/clusterpair.yaml", false},
		{"both sides, rendered/", renderBothSidesScript(), "rendered", false},
		{"both sides, the destination's directory", renderBothSidesScript(), "rendered/destination", false},
		{"both sides, the destination's file", renderBothSidesScript(), "rendered/destination/clusterpair.yaml", true},
		{"both sides, the source's file to a directory", renderBothSidesScript(), "rendered/source/clusterpair.yaml", false},
		{"one side, no link", renderScript(), "", false},
		{"both sides, no link", renderBothSidesScript(), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, outside, stubs := t.TempDir(), t.TempDir(), t.TempDir()
			script := filepath.Join(dir, RenderScriptFile)
			if err := os.WriteFile(script, c.script, 0o755); err != nil {
				t.Fatal(err)
			}
			victim := filepath.Join(outside, "victim")
			if err := os.WriteFile(victim, []byte("victim\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if c.link != "" {
				link := filepath.Join(dir, filepath.FromSlash(c.link))
				if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
					t.Fatal(err)
				}
				target := outside
				if c.toFile {
					target = victim
				}
				if err := os.Symlink(target, link); err != nil {
					t.Fatal(err)
				}
			}
			marker := filepath.Join(stubs, "ran")
			stub := "#!/bin/sh\ntouch '" + marker + "'\nprintf 'kind: ClusterPair\\n'\n"
			if err := os.WriteFile(filepath.Join(stubs, "clusterpair-fn"), []byte(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(script)
			cmd.Env = testenv.IsolatedEnv(t.TempDir(), "PATH="+stubs+":"+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if c.link == "" {
				if err != nil {
					t.Fatalf("render.sh: %v\n%s", err, out)
				}
				if _, err := os.Stat(filepath.Join(dir, "rendered")); err != nil {
					t.Errorf("nothing rendered: %v", err)
				}
				return
			}
			if err == nil {
				t.Errorf("render.sh wrote through the link:\n%s", out)
			}
			if !strings.Contains(string(out), c.link+" is a symbolic link: refusing to write through it") {
				t.Errorf("render.sh does not name the link:\n%s", out)
			}
			entries, _ := os.ReadDir(outside)
			data, _ := os.ReadFile(victim)
			if len(entries) != 1 || string(data) != "victim\n" {
				t.Errorf("render.sh changed what the link points to: %v, %q", entries, data)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Error("render.sh rendered before refusing")
			}
		})
	}
}
