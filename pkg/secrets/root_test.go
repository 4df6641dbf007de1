package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/internal/secretstest"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

const (
	insideContent  = "inside-content-of-the-request-directory\n"
	outsideContent = "OUTSIDE-SECRET-CONTENT-never-readable\n"
)

// confinementTree builds
//
//	base/outside.txt             (outside the root)
//	base/outside-dir/file.txt    (outside the root)
//	base/root/token.txt          (the root)
//	base/root/a/b/c.txt
//
// and returns base and the root directory.
func confinementTree(t *testing.T) (base, root string) {
	t.Helper()
	base = t.TempDir()
	root = filepath.Join(base, "root")
	mustMkdir(t, filepath.Join(root, "a", "b"))
	mustMkdir(t, filepath.Join(base, "outside-dir"))
	mustWrite(t, filepath.Join(base, "outside.txt"), outsideContent)
	mustWrite(t, filepath.Join(base, "outside-dir", "file.txt"), outsideContent)
	mustWrite(t, filepath.Join(root, "token.txt"), insideContent)
	mustWrite(t, filepath.Join(root, "a", "b", "c.txt"), "nested\n")
	return base, root
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, file, content string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func TestRootReadFileConfinement(t *testing.T) {
	testenv.Isolate(t)
	base, root := confinementTree(t)
	// Symlinks, made once; each case reads one.
	mustSymlink(t, filepath.Join(base, "outside.txt"), filepath.Join(root, "abs-out"))
	mustSymlink(t, "../outside.txt", filepath.Join(root, "rel-out"))
	mustSymlink(t, "../../../outside.txt", filepath.Join(root, "a", "b", "deep-out"))
	mustSymlink(t, filepath.Join(base, "outside-dir"), filepath.Join(root, "dir-out-abs"))
	mustSymlink(t, "../outside-dir", filepath.Join(root, "dir-out-rel"))
	mustSymlink(t, filepath.Join(root, "token.txt"), filepath.Join(root, "abs-in")) // absolute, even though it names a file inside
	mustSymlink(t, "token.txt", filepath.Join(root, "rel-in"))
	mustSymlink(t, "../../token.txt", filepath.Join(root, "a", "b", "up-in"))
	mustSymlink(t, "a", filepath.Join(root, "dir-in"))
	mustSymlink(t, "rel-in", filepath.Join(root, "chain-in"))
	mustSymlink(t, "/dev/null", filepath.Join(root, "devnull-abs"))
	mustSymlink(t, strings.Repeat("../", 30)+"dev/null", filepath.Join(root, "devnull-rel"))
	mustSymlink(t, "loop-b", filepath.Join(root, "loop-a"))
	mustSymlink(t, "loop-a", filepath.Join(root, "loop-b"))
	mustSymlink(t, "self", filepath.Join(root, "self"))
	mustSymlink(t, "missing.txt", filepath.Join(root, "dangling"))
	mustSymlink(t, "a/b", filepath.Join(root, "dir-link"))

	r := openRoot(t, root)
	if r.Dir() != root {
		t.Errorf("Dir() = %q, want %q", r.Dir(), root)
	}

	tests := []struct {
		name   string
		rel    string
		want   string // content, when the read succeeds
		reason Reason // when it fails
		detail string // a fragment of the message
	}{
		{name: "regular file", rel: "token.txt", want: insideContent},
		{name: "nested file", rel: "a/b/c.txt", want: "nested\n"},
		{name: "dot slash", rel: "./token.txt", want: insideContent},
		{name: "dot-dot inside the root", rel: "a/b/../../token.txt", want: insideContent},
		{name: "relative symlink inside", rel: "rel-in", want: insideContent},
		{name: "symlink up, still inside", rel: "a/b/up-in", want: insideContent},
		{name: "directory symlink inside", rel: "dir-in/b/c.txt", want: "nested\n"},
		{name: "symlink chain inside", rel: "chain-in", want: insideContent},

		{name: "empty path", rel: "", reason: ReasonPath, detail: "names a directory"},
		{name: "NUL byte", rel: "token.txt\x00.yaml", reason: ReasonPath, detail: "NUL"},
		{name: "absolute path outside", rel: filepath.Join(base, "outside.txt"), reason: ReasonPath, detail: "not absolute"},
		{name: "absolute path inside", rel: filepath.Join(root, "token.txt"), reason: ReasonPath, detail: "not absolute"},
		{name: "dot dot", rel: "..", reason: ReasonPath, detail: "escapes"},
		{name: "dot dot file", rel: "../outside.txt", reason: ReasonPath, detail: "escapes"},
		{name: "dot dot after a dir", rel: "a/../../outside.txt", reason: ReasonPath, detail: "escapes"},
		{name: "dot dot deep", rel: "a/b/../../../outside.txt", reason: ReasonPath, detail: "escapes"},

		{name: "absolute symlink out", rel: "abs-out", reason: ReasonEscapes, detail: "outside"},
		{name: "relative symlink out", rel: "rel-out", reason: ReasonEscapes, detail: "outside"},
		{name: "nested relative symlink out", rel: "a/b/deep-out", reason: ReasonEscapes},
		{name: "absolute directory symlink out", rel: "dir-out-abs/file.txt", reason: ReasonEscapes},
		{name: "relative directory symlink out", rel: "dir-out-rel/file.txt", reason: ReasonEscapes},
		// os.Root refuses every absolute symlink target, even one that
		// names a file under the root: the root may be moved.
		{name: "absolute symlink to a file inside", rel: "abs-in", reason: ReasonEscapes},
		{name: "absolute symlink to /dev/null", rel: "devnull-abs", reason: ReasonEscapes},
		{name: "relative symlink to /dev/null", rel: "devnull-rel", reason: ReasonEscapes},

		{name: "symlink loop", rel: "loop-a", reason: ReasonPath, detail: "symbolic links"},
		{name: "symlink to itself", rel: "self", reason: ReasonPath, detail: "symbolic links"},

		{name: "directory", rel: "a", reason: ReasonNotRegular, detail: "directory"},
		{name: "the root itself", rel: ".", reason: ReasonPath, detail: "names a directory"},
		{name: "symlink to a directory", rel: "dir-link", reason: ReasonNotRegular, detail: "directory"},

		{name: "missing file", rel: "missing.txt", reason: ReasonNotFound, detail: root},
		{name: "missing directory", rel: "nodir/missing.txt", reason: ReasonNotFound},
		{name: "dangling symlink", rel: "dangling", reason: ReasonNotFound},
		{name: "parent is a file", rel: "token.txt/x", reason: ReasonNotFound, detail: "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := readWithDeadline(t, r, tt.rel)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ReadFile(%q): %v", tt.rel, err)
				}
				if string(data) != tt.want {
					t.Fatalf("ReadFile(%q) = %q, want %q", tt.rel, data, tt.want)
				}
				return
			}
			if data != nil {
				t.Errorf("ReadFile(%q) returned %d bytes along with an error", tt.rel, len(data))
			}
			e := errorWithReason(t, err, tt.reason)
			if e.File != tt.rel {
				t.Errorf("Error.File = %q, want %q", e.File, tt.rel)
			}
			secretstest.AssertContains(t, err.Error(), tt.detail)
			secretstest.AssertNoSecret(t, err.Error(), outsideContent)
		})
	}
}

// readWithDeadline runs ReadFile and fails the test if it does not return
// within a generous deadline (a FIFO or device must never block it).
func readWithDeadline(t *testing.T, r *Root, rel string) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := r.ReadFile(rel)
		done <- result{data, err}
	}()
	select {
	case res := <-done:
		return res.data, res.err
	case <-time.After(10 * time.Second):
		t.Fatalf("ReadFile(%q) still blocked after 10s", rel)
		return nil, nil
	}
}

func TestRootReadFileFIFODoesNotBlock(t *testing.T) {
	testenv.Isolate(t)
	root := t.TempDir()
	fifo := filepath.Join(root, "pipe.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	mustSymlink(t, "pipe.yaml", filepath.Join(root, "pipe-link"))
	r := openRoot(t, root)

	for _, rel := range []string{"pipe.yaml", "pipe-link"} {
		t.Run(rel, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := r.ReadFile(rel)
				done <- err
			}()
			select {
			case err := <-done:
				assertReason(t, err, ReasonNotRegular)
				secretstest.AssertContains(t, err.Error(), "named pipe")
			case <-time.After(10 * time.Second):
				// Release the blocked reader so the test binary can finish.
				if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					_ = w.Close()
				}
				t.Fatalf("ReadFile(%q) blocked on a FIFO for 10s", rel)
			}
		})
	}
}

func TestRootReadFileSocketAndDevice(t *testing.T) {
	testenv.Isolate(t)
	// Unix socket paths are limited to ~108 bytes: use a short directory.
	root, err := os.MkdirTemp("", "sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	l, err := net.Listen("unix", filepath.Join(root, "s.sock"))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	r := openRoot(t, root)

	_, err = readWithDeadline(t, r, "s.sock")
	assertReason(t, err, ReasonNotRegular)
	secretstest.AssertContains(t, err.Error(), "socket")

	// A device node inside the root (only root may create one; the tests
	// normally run as root, and then this must work).
	if os.Geteuid() != 0 {
		t.Log("not root: the device-node case is covered by the /dev/null symlink cases only")
		return
	}
	dev := filepath.Join(root, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, int(unixMkdev(1, 3))); err != nil {
		if errors.Is(err, syscall.EPERM) {
			t.Logf("mknod refused (no CAP_MKNOD in this container): %v; device covered by the /dev/null symlink cases", err)
			return
		}
		t.Fatalf("mknod: %v", err)
	}
	mustSymlink(t, "null", filepath.Join(root, "null-link"))
	for _, rel := range []string{"null", "null-link"} {
		_, err = readWithDeadline(t, r, rel)
		assertReason(t, err, ReasonNotRegular)
		secretstest.AssertContains(t, err.Error(), "device")
	}
}

// unixMkdev is unix.Mkdev for Linux (major 1, minor 3 is /dev/null).
func unixMkdev(major, minor uint32) uint64 {
	dev := (uint64(major) & 0x00000fff) << 8
	dev |= (uint64(major) & 0xfffff000) << 32
	dev |= (uint64(minor) & 0x000000ff) << 0
	dev |= (uint64(minor) & 0xffffff00) << 12
	return dev
}

func TestRootReadFileSizeLimit(t *testing.T) {
	testenv.Isolate(t)
	root := t.TempDir()
	exact := bytes.Repeat([]byte{'a'}, MaxFileSize)
	if err := os.WriteFile(filepath.Join(root, "exact.bin"), exact, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "big.bin"), append(exact, 'b'), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sparse file: large on disk size, no data.
	f, err := os.Create(filepath.Join(root, "sparse.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	r := openRoot(t, root)

	data, err := r.ReadFile("exact.bin")
	if err != nil {
		t.Fatalf("a file of exactly MaxFileSize bytes: %v", err)
	}
	if len(data) != MaxFileSize {
		t.Fatalf("read %d bytes, want %d", len(data), MaxFileSize)
	}
	for rel, size := range map[string]int64{"big.bin": MaxFileSize + 1, "sparse.bin": 1 << 40} {
		data, err := r.ReadFile(rel)
		if data != nil {
			t.Errorf("%s: got %d bytes with the error", rel, len(data))
		}
		assertReason(t, err, ReasonTooLarge)
		// Refused on its size, before reading it.
		secretstest.AssertContains(t, err.Error(), fmt.Sprintf("is %d bytes; the limit is %d", size, MaxFileSize))
	}
}

func TestRootOpenErrorMapping(t *testing.T) {
	// The mapping of open(2) errors, including those that cannot be
	// provoked for real here (EACCES as root, see TestRootReadFilePermissionDenied).
	testenv.Isolate(t)
	r := openRoot(t, t.TempDir())
	pe := func(err error) error { return &fs.PathError{Op: "openat", Path: "f", Err: err} }
	tests := []struct {
		err    error
		reason Reason
		detail string
	}{
		{pe(syscall.ENOENT), ReasonNotFound, "no such file"},
		{pe(syscall.EACCES), ReasonUnreadable, "permission denied"},
		{pe(syscall.EPERM), ReasonUnreadable, "permission denied"},
		{pe(syscall.ELOOP), ReasonPath, "symbolic links"},
		{pe(syscall.ENOTDIR), ReasonNotFound, "not a directory"},
		{pe(errors.New("path escapes from parent")), ReasonEscapes, "outside"},
		{pe(syscall.EIO), ReasonUnreadable, "input/output error"},
		{pe(syscall.ENXIO), ReasonNotRegular, "special file"},
	}
	for _, tt := range tests {
		err := r.openError("f", tt.err)
		assertReason(t, err, tt.reason)
		secretstest.AssertContains(t, err.Error(), tt.detail)
		if strings.Contains(err.Error(), "openat") {
			t.Errorf("%v: message leaks the syscall wrapper: %v", tt.err, err)
		}
	}
}

const eaccesDirEnv = "SECRETS_TEST_EACCES_DIR"

// TestRootReadFilePermissionDenied reads a mode-000 file. As root that
// would succeed (root bypasses file modes), so then it re-runs this test
// binary as the unprivileged user "nobody" (uid 65534), which exercises the
// real EACCES path of os.Root.
func TestRootReadFilePermissionDenied(t *testing.T) {
	if dir := os.Getenv(eaccesDirEnv); dir != "" {
		// Child: unprivileged, reads the prepared directory.
		if os.Geteuid() == 0 {
			t.Fatal("child is still root")
		}
		checkPermissionDenied(t, dir)
		return
	}
	testenv.Isolate(t)
	// A world-traversable directory (t.TempDir is mode 0700).
	dir, err := os.MkdirTemp("", "eacces")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "locked.yaml"), "secret: locked\n")
	if err := os.Chmod(filepath.Join(dir, "locked.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	mustMkdir(t, filepath.Join(dir, "closed"))
	mustWrite(t, filepath.Join(dir, "closed", "inner.yaml"), "secret: inner\n")
	if err := os.Chmod(filepath.Join(dir, "closed"), 0); err != nil {
		t.Fatal(err)
	}

	if os.Geteuid() != 0 {
		checkPermissionDenied(t, dir)
		return
	}
	// Root: copy the test binary where "nobody" can run it, and run this test as nobody.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "secrets.test")
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	_ = in.Close()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestRootReadFilePermissionDenied$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(testenv.IsolatedEnv(dir), eaccesDirEnv+"="+dir, "GOCOVERDIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	output, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		// Could not start it at all (no CAP_SETUID, /tmp mounted noexec):
		// TestRootOpenErrorMapping still covers the EACCES mapping.
		t.Skipf("cannot run the test binary as uid 65534 here: %v", err)
	}
	if err != nil {
		t.Fatalf("child test as uid 65534 failed: %v\n%s", err, output)
	}
	if !strings.Contains(string(output), "--- PASS: TestRootReadFilePermissionDenied") {
		t.Fatalf("child test did not report a pass:\n%s", output)
	}
}

func checkPermissionDenied(t *testing.T, dir string) {
	t.Helper()
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, rel := range []string{"locked.yaml", "closed/inner.yaml"} {
		_, err := r.ReadFile(rel)
		if ReasonOf(err) != ReasonUnreadable || !strings.Contains(fmt.Sprint(err), "permission denied") {
			t.Errorf("ReadFile(%q) = %v, want %q with \"permission denied\"", rel, err, ReasonUnreadable)
		}
	}
}

func TestRootClosed(t *testing.T) {
	testenv.Isolate(t)
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "f"), "x")
	r, err := OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := r.ReadFile("f")
	if err == nil || data != nil {
		t.Fatalf("ReadFile after Close = %q, %v", data, err)
	}
	assertReason(t, err, ReasonUnreadable)
}

func TestOpenRootMissingDirectory(t *testing.T) {
	testenv.Isolate(t)
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := OpenRoot(missing)
	if err == nil {
		t.Fatal("OpenRoot of a missing directory succeeded")
	}
	secretstest.AssertContains(t, err.Error(), missing)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenRoot error %v does not wrap fs.ErrNotExist", err)
	}
}
