package sopslean

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/secrets"
)

// The hand-over: what the lean build cannot do itself (a file whose data
// key needs a key source only the sops library has, and every encryption)
// it asks of one clusterpair-fn-full co-process, started on first need and
// kept for the run, over its stdin and stdout. Plaintext crosses that pipe
// only, never the disk. Each request carries the parent's KeyPolicy and
// tenant keys, never re-derived from flags or environment in the child, so
// a hand-over cannot widen what a run may decrypt or contact.

// FullBinary is the full build, which serves the hand-over; it is looked
// for next to this binary, then on PATH.
const FullBinary = "clusterpair-fn-full"

// ServeCommand is the full build's hidden subcommand that runs Serve.
const ServeCommand = "__sops-server"

// maxMessage bounds one message of the protocol either way: a referenced
// file, a plaintext and a ciphertext are each at most secrets.MaxFileSize,
// and travel base64-encoded.
const maxMessage = 4 * secrets.MaxFileSize

// request is one call: "decrypt" (File, Data, Format, Policy, Tenant),
// "encrypt" (Data, Encrypt, Policy) or "encrypt-file" (Data, File as the
// target, EncryptFile, Policy).
type request struct {
	Op          string
	File        string
	Data        []byte
	Format      secrets.Format
	Policy      []string
	Tenant      *secrets.TenantKeys
	Encrypt     *secrets.EncryptOptions
	EncryptFile *fileOptions
}

// fileOptions are secrets.FileEncryptOptions without Getenv (the parent
// resolves SOPS_CONFIG) and Policy (sent as entries).
type fileOptions struct {
	Age, PGP   []string
	ConfigFile string
}

// response is the answer: Data (the plaintext as `sops decrypt` prints
// it, or the ciphertext), File (encrypt-file), or the failure, classified
// (Error) or as the full build worded it (Message).
type response struct {
	Data    []byte
	File    *secrets.EncryptedFile
	Error   *secrets.Error
	Message string
}

// coprocess is the full build, started on first use; safe for concurrent
// use (one call at a time).
type coprocess struct {
	argv []string // nil: FullBinary ServeCommand, found as above

	mu      sync.Mutex
	started bool
	err     error
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Reader
}

// call sends req and returns the response, starting the co-process first
// if this is the first call.
func (c *coprocess) call(req request) (*response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		c.started = true
		c.err = c.start()
	}
	if c.err != nil {
		return nil, c.err
	}
	if err := writeMessage(c.in, req); err != nil {
		c.err = fmt.Errorf("%s stopped answering: %w", FullBinary, err)
		return nil, c.err
	}
	var resp response
	if err := readMessage(c.out, &resp); err != nil {
		c.err = fmt.Errorf("%s stopped answering: %w", FullBinary, err)
		return nil, c.err
	}
	return &resp, nil
}

func (c *coprocess) start() error {
	argv := c.argv
	if argv == nil {
		path, err := FindFull()
		if err != nil {
			return err
		}
		argv = []string{path, ServeCommand}
	}
	//nolint:gosec // G204: the operator's clusterpair-fn-full (next to this binary or on PATH), or the argv the program gave.
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	dieWithParent(cmd)
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	c.cmd, c.in, c.out = cmd, in, bufio.NewReader(out)
	return nil
}

// close ends the co-process, if it runs: its stdin closes, so it exits.
func (c *coprocess) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return nil
	}
	_ = c.in.Close()
	err := c.cmd.Wait()
	c.cmd, c.err = nil, errors.New("the co-process was closed")
	return err
}

// FindFull finds FullBinary next to this binary, else on PATH.
func FindFull() (string, error) {
	if self, err := os.Executable(); err == nil {
		sibling := filepath.Join(filepath.Dir(self), FullBinary)
		if _, err := os.Stat(sibling); err == nil {
			return sibling, nil
		}
	}
	if path, err := exec.LookPath(FullBinary); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("%s is not installed next to clusterpair-fn or on PATH (it runs `clusterpair-fn new`, `clusterpair-fn check` and `clusterpair-fn rekey`, and renders with KMS/Vault keys; install both builds: make install)", FullBinary)
}

// Full is what Serve needs of the full build: its decryptor under a
// policy and tenant keys, and its encryptor.
type Full struct {
	NewDecryptor func(secrets.KeyPolicy, *secrets.TenantKeys) (secrets.Decryptor, error)
	Encryptor    secrets.Encryptor
}

// Serve answers the lean build's calls, read from in, on out, until in
// ends: the full build's side of the hand-over (ServeCommand).
func Serve(in io.Reader, out io.Writer, full Full) error {
	r := bufio.NewReader(in)
	for {
		var req request
		if err := readMessage(r, &req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := writeMessage(out, full.answer(req)); err != nil {
			return err
		}
	}
}

func (f Full) answer(req request) response {
	policy, err := secrets.ParseKeyPolicy(req.Policy...)
	if err != nil {
		return response{Message: err.Error()}
	}
	fail := func(err error) response {
		var e *secrets.Error
		if errors.As(err, &e) {
			return response{Error: e}
		}
		return response{Message: err.Error()}
	}
	switch req.Op {
	case "decrypt":
		dec, err := f.NewDecryptor(policy, req.Tenant)
		if err != nil {
			return fail(err)
		}
		doc, err := dec.Decrypt(req.File, req.Data, req.Format)
		if err != nil {
			return fail(err)
		}
		v, err := doc.Whole(req.File)
		if err != nil {
			return fail(err)
		}
		return response{Data: v.Bytes()}
	case "encrypt":
		if req.Encrypt == nil {
			break
		}
		opts := *req.Encrypt
		opts.Policy = policy
		data, err := f.Encryptor.EncryptYAML(req.Data, opts)
		if err != nil {
			return fail(err)
		}
		return response{Data: data}
	case "encrypt-file":
		if req.EncryptFile == nil {
			break
		}
		o := req.EncryptFile
		file, err := f.Encryptor.EncryptFile(req.Data, req.File, secrets.FileEncryptOptions{Age: o.Age, PGP: o.PGP, ConfigFile: o.ConfigFile, Getenv: func(string) string { return "" }, Policy: policy})
		if err != nil {
			return fail(err)
		}
		return response{File: file}
	}
	return response{Message: fmt.Sprintf("unknown call %q", req.Op)}
}

// writeMessage writes v as JSON behind its length (4 bytes, big-endian).
func writeMessage(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(data) > maxMessage {
		return fmt.Errorf("a message of %d bytes exceeds the limit of %d", len(data), maxMessage)
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(data)), uint32(len(data))) //nolint:gosec // G115: len(data) <= maxMessage, checked above

	_, err = w.Write(append(frame, data...))
	return err
}

// readMessage reads one message written by writeMessage into v.
func readMessage(r io.Reader, v any) error {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > maxMessage {
		return fmt.Errorf("a message of %d bytes exceeds the limit of %d", n, maxMessage)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return fmt.Errorf("reading a message: %w", err)
	}
	return json.Unmarshal(data, v)
}
