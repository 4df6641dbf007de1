//go:build cluster

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
)

// startupDeadline bounds the wait for etcd and kube-apiserver to come up
// (two API servers starting at once on a loaded 2-core CI machine).
const startupDeadline = 4 * time.Minute

// process is a child process in its own process group. It is killed (the
// whole group) in t.Cleanup, which also runs when the test panics, and gets
// SIGKILL from the kernel if the test binary itself dies (Pdeathsig).
type process struct {
	name    string
	pid     int
	logPath string
	done    chan struct{}
	waitErr error
}

// tracked records every process and port the suite used, so TestMain can
// prove after the run that nothing is left behind.
var tracked struct {
	sync.Mutex
	procs []*process
	ports []int
}

func startProcess(t testing.TB, name, logPath, bin string, args ...string) *process {
	t.Helper()
	return startProcessEnv(t, name, logPath, nil, bin, args...)
}

// startProcessEnv is startProcess with extra environment variables (NAME=VALUE,
// overriding the inherited ones).
func startProcessEnv(t testing.TB, name, logPath string, extraEnv []string, bin string, args ...string) *process {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(processEnv(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &process{name: name, pid: cmd.Process.Pid, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	tracked.Lock()
	tracked.procs = append(tracked.procs, p)
	tracked.Unlock()
	t.Cleanup(p.stop)
	return p
}

// processEnv is the environment of the servers: the test's, without any
// kubeconfig or credential of the machine.
func processEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "KUBECONFIG" || strings.HasPrefix(name, "SOPS_") || strings.HasPrefix(name, "ETCD") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// stop kills the process group and waits for the process to be reaped.
func (p *process) stop() {
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	<-p.done
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logTail returns the last n lines of the process's log.
func (p *process) logTail(n int) string {
	data, _ := os.ReadFile(p.logPath)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	tracked.Lock()
	tracked.ports = append(tracked.ports, port)
	tracked.Unlock()
	return port
}

// leftovers reports tracked processes (or process groups) still alive and
// tracked ports someone still listens on.
func leftovers() []string {
	tracked.Lock()
	defer tracked.Unlock()
	var out []string
	for _, p := range tracked.procs {
		if !p.exited() {
			out = append(out, fmt.Sprintf("process %s (pid %d) still running", p.name, p.pid))
		}
		if err := syscall.Kill(-p.pid, 0); !errors.Is(err, syscall.ESRCH) {
			out = append(out, fmt.Sprintf("process group %d (%s) still has members", p.pid, p.name))
		}
	}
	for _, port := range tracked.ports {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			out = append(out, fmt.Sprintf("port %d still in use: %v", port, err))
			continue
		}
		l.Close()
	}
	return out
}

// binary returns the path of a server binary named by an environment
// variable (relative paths are relative to the repository root), or found on
// PATH. The test fails when it is missing: the suite never skips.
func binary(t testing.TB, env, name, hint string) string {
	t.Helper()
	p := os.Getenv(env)
	if p == "" {
		if lp, err := exec.LookPath(name); err == nil {
			return lp
		}
		t.Fatalf("%s is not set and %s is not on PATH: %s", env, name, hint)
	}
	if !filepath.IsAbs(p) {
		p = testenv.Path(p)
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file: %s", env, p, hint)
	}
	return p
}

// apiServer is a running kube-apiserver with its own etcd.
type apiServer struct {
	name    string
	dir     string
	ca      *ca
	url     string
	port    int
	etcd    *process
	kas     *process
	version string
	// saKeyFile signs service-account tokens (kube-controller-manager's
	// token controller needs it too, see controllermanager_test.go).
	saKeyFile string
	// saKeyAlg is the signing key's algorithm.
	saKeyAlg saKeyAlgorithm

	admin *rest.Config
	kube  kubernetes.Interface
	dyn   dynamic.Interface
}

// launchEtcd starts the server's etcd and waits until it is healthy.
func (s *apiServer) launchEtcd(t testing.TB, etcdBin string) string {
	t.Helper()
	client, peer := freePort(t), freePort(t)
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	s.etcd = startProcess(t, s.name+"/etcd", filepath.Join(s.dir, "etcd.log"), etcdBin,
		"--name="+s.name,
		"--data-dir="+filepath.Join(s.dir, "etcd-data"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster="+s.name+"="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap",
		"--log-outputs=stderr",
		"--max-request-bytes=8388608", // the Argo CD ApplicationSet CRD is 1.4 MB
	)
	httpc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startupDeadline)
	for {
		resp, err := httpc.Get(clientURL + "/health")
		if err == nil {
			body := make([]byte, 256)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body[:n]), `"health":"true"`) {
				return clientURL
			}
		}
		if s.etcd.exited() {
			t.Fatalf("%s: etcd exited during start-up (%v):\n%s", s.name, s.etcd.waitErr, s.etcd.logTail(30))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: etcd not healthy after %s:\n%s", s.name, startupDeadline, s.etcd.logTail(30))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// newAPIServer generates the server's PKI and starts its etcd and
// kube-apiserver; waitReady waits for it. Starting both servers before
// waiting for either halves the start-up time.
func newAPIServer(t testing.TB, name, kasBin, etcdBin string) *apiServer {
	t.Helper()
	return newAPIServerSAKey(t, name, kasBin, etcdBin, saKeyECDSA)
}

// newAPIServerSAKey is newAPIServer with a service-account signing key of
// the given algorithm (kubeadm makes an RSA one).
func newAPIServerSAKey(t testing.TB, name, kasBin, etcdBin string, alg saKeyAlgorithm) *apiServer {
	t.Helper()
	s := &apiServer{name: name, dir: t.TempDir(), saKeyAlg: alg}
	s.ca = newCA(t, name+"-ca")
	serving := s.ca.issue(t, certSpec{cn: "kube-apiserver", server: true})
	admin := s.ca.issue(t, certSpec{cn: "e2e-admin", orgs: []string{"system:masters"}})
	saKey, saPub := serviceAccountKeys(t, alg)
	f := func(n string, data []byte) string { return writeFile(t, filepath.Join(s.dir, n), data) }

	etcdURL := s.launchEtcd(t, etcdBin)
	s.port = freePort(t)
	s.url = fmt.Sprintf("https://127.0.0.1:%d", s.port)
	s.kas = startProcess(t, name+"/kube-apiserver", filepath.Join(s.dir, "kube-apiserver.log"), kasBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(s.port),
		"--cert-dir="+filepath.Join(s.dir, "certs"),
		"--tls-cert-file="+f("serving.crt", serving.CertPEM),
		"--tls-private-key-file="+f("serving.key", serving.KeyPEM),
		"--client-ca-file="+f("ca.crt", s.ca.certPEM),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://"+name+".e2e.invalid",
		"--service-account-key-file="+f("sa.pub", saPub),
		"--service-account-signing-key-file="+s.writeSAKey(f("sa.key", saKey)),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--allow-privileged=false",
		"--profiling=false",
		"--enable-priority-and-fairness=false",
	)
	s.admin = &rest.Config{
		Host: s.url,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   s.ca.certPEM,
			CertData: admin.CertPEM,
			KeyData:  admin.KeyPEM,
		},
		QPS:     100,
		Burst:   200,
		Timeout: 30 * time.Second,
	}
	var err error
	if s.kube, err = kubernetes.NewForConfig(s.admin); err != nil {
		t.Fatal(err)
	}
	if s.dyn, err = dynamic.NewForConfig(s.admin); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitReady polls /readyz (with a deadline) until the server is ready.
func (s *apiServer) waitReady(t testing.TB) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(startupDeadline)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		body, err := s.kube.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		cancel()
		if err == nil && strings.TrimSpace(string(body)) == "ok" {
			break
		}
		last = err
		if s.kas.exited() {
			t.Fatalf("%s: kube-apiserver exited during start-up (%v):\n%s", s.name, s.kas.waitErr, s.kas.logTail(40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: kube-apiserver not ready after %s (last error: %v):\n%s", s.name, startupDeadline, last, s.kas.logTail(40))
		}
		time.Sleep(250 * time.Millisecond)
	}
	v, err := s.kube.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("%s: /version: %v", s.name, err)
	}
	s.version = v.GitVersion
	summary.addServer("%-11s kube-apiserver %s on %s (etcd pid %d, apiserver pid %d), ready in %s",
		s.name, s.version, s.url, s.etcd.pid, s.kas.pid, time.Since(start).Round(100*time.Millisecond))
}
