package author

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// stageChildArg makes the test binary a process that stages files in a
// directory, reports it on stdout and waits to be killed (see TestMain).
const stageChildArg = "__author-test-stage-and-wait"

func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == stageChildArg {
		os.Exit(stageAndWait(os.Args[2]))
	}
	os.Exit(m.Run())
}

// childFiles are what the child stages: the second one large, so that its
// data is still being written through many calls on a slow disk.
func childFiles() []outFile {
	return []outFile{
		{name: "clusterpair.yaml", data: []byte("kind: ClusterPairRequest\n")},
		{name: "destination-kubeconfig.yaml", data: bytes.Repeat([]byte("ENC[AES256_GCM,data:x]\n"), 1<<16)},
	}
}

// stageAndWait stages childFiles in dir exactly as writeFiles does, says
// "staged" and blocks on stdin: the parent kills it there, after every byte
// was written and synced and before anything was put in place.
func stageAndWait(dir string) int {
	staged, err := stageAll(dir, childFiles())
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("staged")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // never returns: the parent kills us
	discardAll(staged)
	return 0
}

// TestNewLeavesNothingWhenKilled kills (SIGKILL: no cleanup runs) a process
// that has staged every file of `new`, in an empty directory and in one
// whose files --force would replace, and checks that the directory is as
// it was: no .NAME.tmp-* file for `git add` to pick up.
func TestNewLeavesNothingWhenKilled(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Fatalf("unnamed temporary files are Linux-only; elsewhere a kill may leave .NAME.tmp-* files (documented)")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing files %v", existing), func(t *testing.T) {
			dir := t.TempDir()
			if existing {
				for _, f := range childFiles() {
					if err := os.WriteFile(filepath.Join(dir, f.name), []byte("old\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			before := listDir(t, dir)
			cmd := exec.Command(exe, stageChildArg, dir)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil || line != "staged\n" {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("child: %q, %v", line, err)
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL on Linux
				t.Fatal(err)
			}
			var exit *exec.ExitError
			if err := cmd.Wait(); !errors.As(err, &exit) || exit.String() != "signal: killed" {
				t.Fatalf("child ended with %v, want signal: killed", err)
			}
			if after := listDir(t, dir); after != before {
				t.Errorf("the killed process left files behind:\nbefore: %s\nafter:  %s", before, after)
			}
			for _, f := range childFiles() {
				data, err := os.ReadFile(filepath.Join(dir, f.name))
				if existing && (err != nil || string(data) != "old\n") {
					t.Errorf("%s was changed: %q, %v", f.name, data, err)
				}
			}
		})
	}
}

// TestWriteFilesPutsEveryFileInPlace covers both ways a staged file reaches
// its name (linked, or linked and renamed over an existing file) and the
// refusal of a name that appeared while writing.
func TestWriteFilesPutsEveryFileInPlace(t *testing.T) {
	dir := t.TempDir()
	files := childFiles()
	if err := writeFiles(dir, files, false); err != nil {
		t.Fatal(err)
	}
	files[0].data = []byte("kind: ClusterPairRequest # new\n")
	if err := writeFiles(dir, files, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(data, f.data) {
			t.Errorf("%s: %d bytes, %v; want %d bytes", f.name, len(data), err, len(f.data))
		}
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, %v; want 0644", f.name, fi.Mode(), err)
		}
	}
	if got, want := listDir(t, dir), "clusterpair.yaml destination-kubeconfig.yaml"; got != want {
		t.Errorf("directory holds %s, want %s", got, want)
	}

	// A file that appears between the check and the link is not replaced.
	other := t.TempDir()
	s, err := stage(other, outFile{name: "x.yaml", data: []byte("new\n")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.discard()
	if err := os.WriteFile(filepath.Join(other, "x.yaml"), []byte("theirs\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s.tmp == "" {
		// Unnamed: commit sees the file and replaces it only because it
		// exists now; exercise the link refusal directly.
		if err := linkUnnamed(s.file, filepath.Join(other, "x.yaml")); !errors.Is(err, os.ErrExist) {
			t.Errorf("linking over an existing file: %v, want it refused", err)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(other, "x.yaml")); string(data) != "theirs\n" {
		t.Errorf("the other file was replaced: %q", data)
	}
}

func listDir(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}
