package objectstore_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/check/objectstore"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// serverBinary is the test tool built by `make objectstore-tools` from the
// tools module test/objectstore (gofakes3 and fake-gcs-server).
func serverBinary(t *testing.T) string {
	t.Helper()
	p := os.Getenv("OBJSTORE_SERVER")
	if p == "" {
		p = testenv.Path(".cache", "objstore", "objstore-server")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run `make objectstore-tools` (tests never skip for a missing tool)", p)
	}
	return p
}

// startServer starts objstore-server on loopback and returns its URL; the
// process is killed when the test ends.
func startServer(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(serverBinary(t), args...)
	cmd.Env = testenv.IsolatedEnv(t.TempDir(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("objstore-server %s did not start: %v", args[0], err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if !ok {
		t.Fatalf("objstore-server said %q", line)
	}
	return url
}

const (
	keyID  = "AKIACLUSTERPAIRTEST1"
	secret = "wJalrXUtnFEMI-secret-key-never-printed"
	bucket = "px-dr-west"
)

func s3Server(t *testing.T, extra ...string) (url, hostport string) {
	t.Helper()
	url = startServer(t, []string{"OBJSTORE_SECRET_ACCESS_KEY=" + secret},
		append([]string{"s3", "--bucket", bucket, "--access-key-id", keyID, "--region", "eu-west-1"}, extra...)...)
	_, hostport, _ = strings.Cut(url, "://")
	return url, hostport
}

func backupLocation(provider string) *stork.BackupLocation {
	return &stork.BackupLocation{Location: stork.BackupLocationItem{Type: provider, SecretConfig: "dr-west"}}
}

// s3Data is the Secret pkg/transform renders for an s3 object store.
func s3Data(endpoint, bucketName, secretKey string, disableSSL bool) map[string][]byte {
	return map[string][]byte{
		"type": []byte("s3"), "path": []byte(bucketName), "endpoint": []byte(endpoint), "region": []byte("eu-west-1"),
		"disableSSL": []byte(fmt.Sprint(disableSSL)), "accessKeyID": []byte(keyID), "secretAccessKey": []byte(secretKey),
		"encryptionKey": []byte("encryption-key-never-printed"),
	}
}

// assertNoSecret fails when anything of the result carries a credential.
func assertNoSecret(t *testing.T, r objectstore.Result, secrets ...string) {
	t.Helper()
	all := fmt.Sprintf("%+v %s", r, r.Text())
	for _, s := range append(secrets, secret, keyID, "encryption-key-never-printed") {
		if strings.Contains(all, s) {
			t.Errorf("the result carries %q: %s", s, all)
		}
	}
}

func callNames(r objectstore.Result) string {
	var names []string
	for _, c := range r.Calls {
		verb, _, _ := strings.Cut(c.Name, " ")
		if !c.OK {
			verb += "(failed)"
		}
		names = append(names, verb)
	}
	return strings.Join(names, ",")
}

// s3Probes lists the bucket with the good credentials and returns the
// probe objects left in it.
func s3Probes(t *testing.T, url string, ca []byte) []string {
	t.Helper()
	o := s3.Options{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""),
		BaseEndpoint: aws.String(url), UsePathStyle: true}
	if ca != nil {
		o.HTTPClient = tlsClient(t, ca)
	}
	out, err := s3.New(o).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("listing the bucket: %v", err)
	}
	var left []string
	for _, obj := range out.Contents {
		left = append(left, aws.ToString(obj.Key))
	}
	return left
}

func tlsClient(t *testing.T, ca []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		t.Fatal("bad CA")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

func TestS3GoodCredentialsPassAndLeaveNothing(t *testing.T) {
	url, hostport := s3Server(t)
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(hostport, bucket, secret, true), objectstore.Options{})
	t.Log(r.Text())
	if r.Status != objectstore.Passed {
		t.Fatalf("status %s: %s", r.Status, r.Text())
	}
	if got := callNames(r); got != "HeadBucket,PutObject,GetObject,DeleteObject" {
		t.Errorf("calls %s", got)
	}
	if !strings.Contains(r.Text(), `s3 bucket "px-dr-west" at `+url) || !strings.Contains(r.Text(), objectstore.ProbePrefix) {
		t.Errorf("text %q does not name the bucket, the endpoint and the probe", r.Text())
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "plain HTTP") {
		t.Errorf("warnings %q, want the plain-HTTP one", r.Warnings)
	}
	assertNoSecret(t, r)
	if left := s3Probes(t, url, nil); len(left) != 0 {
		t.Errorf("objects left in the bucket: %v", left)
	}
}

func TestS3WrongSecretKeyFailsNamingTheBucket(t *testing.T) {
	url, hostport := s3Server(t)
	const wrong = "wrong-secret-key-also-never-printed"
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(hostport, bucket, wrong, true), objectstore.Options{})
	t.Log(r.Text())
	if r.Status != objectstore.Failed {
		t.Fatalf("status %s: %s", r.Status, r.Text())
	}
	text := r.Text()
	if !strings.Contains(text, `"px-dr-west"`) || !strings.Contains(text, "HeadBucket px-dr-west: 403 Forbidden (the credentials are wrong") {
		t.Errorf("text %q does not name the bucket and the wrong key", text)
	}
	if got := callNames(r); got != "HeadBucket(failed)" {
		t.Errorf("calls %s: nothing may be written with refused credentials", got)
	}
	assertNoSecret(t, r, wrong, "calculated")
	if left := s3Probes(t, url, nil); len(left) != 0 {
		t.Errorf("objects left in the bucket: %v", left)
	}
}

func TestS3MissingBucketFails(t *testing.T) {
	_, hostport := s3Server(t)
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(hostport, "no-such-bucket", secret, true), objectstore.Options{})
	if r.Status != objectstore.Failed || !strings.Contains(r.Text(), `"no-such-bucket"`) || !strings.Contains(r.Text(), "404 Not Found") || !strings.Contains(r.Text(), "does not exist") {
		t.Fatalf("status %s: %s", r.Status, r.Text())
	}
	assertNoSecret(t, r)
}

func tlsServerFiles(t *testing.T, ca *testpki.CA) []string {
	t.Helper()
	kp := ca.Issue(t, testpki.Spec{CommonName: "minio.test", Server: true})
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(cert, kp.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, kp.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--tls-cert", cert, "--tls-key", key}
}

func TestS3CompatibleEndpointWithCustomCA(t *testing.T) {
	ca := testpki.NewCA(t, "object-store-ca")
	url, hostport := s3Server(t, tlsServerFiles(t, ca)...)
	data := s3Data(hostport, bucket, secret, false)
	r := objectstore.Check(context.Background(), backupLocation("s3"), data, objectstore.Options{CABundle: ca.CertPEM})
	if r.Status != objectstore.Passed || len(r.Warnings) != 0 || !strings.HasPrefix(r.Endpoint, "https://") {
		t.Fatalf("status %s (warnings %q): %s", r.Status, r.Warnings, r.Text())
	}
	if left := s3Probes(t, url, ca.CertPEM); len(left) != 0 {
		t.Errorf("objects left in the bucket: %v", left)
	}
	for name, opts := range map[string]objectstore.Options{
		"system roots": {},
		"another CA":   {CABundle: testpki.NewCA(t, "other-ca").CertPEM},
	} {
		r := objectstore.Check(context.Background(), backupLocation("s3"), data, opts)
		if r.Status != objectstore.Failed || !strings.Contains(r.Text(), "certificate signed by unknown authority") || callNames(r) != "HeadBucket(failed)" {
			t.Errorf("%s: status %s: %s", name, r.Status, r.Text())
		}
		assertNoSecret(t, r)
	}
}

func TestS3DisableSSL(t *testing.T) {
	_, plain := s3Server(t)
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(plain, bucket, secret, false), objectstore.Options{})
	if r.Status != objectstore.Failed || !strings.Contains(r.Text(), "(the endpoint speaks plain HTTP: disableSSL)") {
		t.Errorf("https to a plain-HTTP store: status %s: %s", r.Status, r.Text())
	}
	r = objectstore.Check(context.Background(), backupLocation("s3"), s3Data(plain, bucket, secret, true), objectstore.Options{})
	if r.Status != objectstore.Passed || !strings.HasPrefix(r.Endpoint, "http://") {
		t.Errorf("disableSSL: status %s: %s", r.Status, r.Text())
	}
	r = objectstore.Check(context.Background(), backupLocation("s3"), map[string][]byte{"path": []byte(bucket), "endpoint": []byte(plain),
		"accessKeyID": []byte(keyID), "secretAccessKey": []byte(secret), "disableSSL": []byte("yes please")}, objectstore.Options{})
	if r.Status != objectstore.Failed || len(r.Calls) != 0 || !strings.Contains(r.Detail, "disableSSL is not a boolean") {
		t.Errorf("a bad disableSSL: status %s: %s", r.Status, r.Text())
	}
}

// serviceAccount is a Google service-account key whose token_uri is the
// test server's, and the PEM public key the server verifies it with.
func serviceAccount(t *testing.T) (key *rsa.PrivateKey, pubFile string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubFile = filepath.Join(t.TempDir(), "sa.pub")
	if err := os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return k, pubFile
}

func accountKeyJSON(t *testing.T, k *rsa.PrivateKey, tokenURI string) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "demo-dr-project", "private_key_id": "0123456789abcdef",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "px-dr@demo-dr-project.iam.gserviceaccount.com", "client_id": "1234567890", "token_uri": tokenURI,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func googleData(bucketName string, key []byte) map[string][]byte {
	return map[string][]byte{"type": []byte("google"), "path": []byte(bucketName), "projectID": []byte("demo-dr-project"), "accountKey": key}
}

func gcsProbes(t *testing.T, url string, key []byte) []string {
	t.Helper()
	conf, err := google.JWTConfigFromJSON(key, storage.ScopeFullControl)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client, err := storage.NewClient(ctx, option.WithHTTPClient(conf.Client(ctx)), option.WithEndpoint(url+"/storage/v1/"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var left []string
	it := client.Bucket(bucket).Objects(ctx, nil)
	for {
		o, err := it.Next()
		if err == iterator.Done {
			return left
		}
		if err != nil {
			t.Fatalf("listing the bucket: %v", err)
		}
		left = append(left, o.Name)
	}
}

func TestGoogle(t *testing.T) {
	k, pub := serviceAccount(t)
	url := startServer(t, nil, "gcs", "--bucket", bucket, "--public-key-file", pub)
	good := accountKeyJSON(t, k, url+"/token")
	opts := objectstore.Options{GoogleEndpoint: url + "/storage/v1/"}

	t.Run("good key passes and leaves nothing", func(t *testing.T) {
		r := objectstore.Check(context.Background(), backupLocation("google"), googleData(bucket, good), opts)
		t.Log(r.Text())
		if r.Status != objectstore.Passed {
			t.Fatalf("status %s: %s", r.Status, r.Text())
		}
		if got := callNames(r); got != "GetBucket,InsertObject,GetObject,DeleteObject" {
			t.Errorf("calls %s", got)
		}
		assertNoSecret(t, r, "PRIVATE KEY")
		if left := gcsProbes(t, url, good); len(left) != 0 {
			t.Errorf("objects left in the bucket: %v", left)
		}
	})
	t.Run("another key is refused", func(t *testing.T) {
		other, _ := serviceAccount(t)
		r := objectstore.Check(context.Background(), backupLocation("google"), googleData(bucket, accountKeyJSON(t, other, url+"/token")), opts)
		if r.Status != objectstore.Failed || !strings.Contains(r.Text(), `google bucket "px-dr-west"`) ||
			!strings.Contains(r.Text(), "the token endpoint refused the service-account key: 400 Bad Request invalid_grant") {
			t.Fatalf("status %s: %s", r.Status, r.Text())
		}
		assertNoSecret(t, r, "PRIVATE KEY", "Invalid JWT Signature")
	})
	t.Run("missing bucket", func(t *testing.T) {
		r := objectstore.Check(context.Background(), backupLocation("google"), googleData("no-such-bucket", good), opts)
		if r.Status != objectstore.Failed || !strings.Contains(r.Text(), `"no-such-bucket"`) || !strings.Contains(r.Text(), "404 Not Found") || callNames(r) != "GetBucket(failed)" {
			t.Fatalf("status %s: %s", r.Status, r.Text())
		}
	})
	t.Run("not a service-account key", func(t *testing.T) {
		r := objectstore.Check(context.Background(), backupLocation("google"), googleData(bucket, []byte(`{"type":"authorized_user"}`)), opts)
		if r.Status != objectstore.Failed || len(r.Calls) != 0 {
			t.Fatalf("status %s: %s", r.Status, r.Text())
		}
	})
}

func TestSkippedAndUnknownProviders(t *testing.T) {
	for provider, want := range map[string]objectstore.Status{"azure": objectstore.Skipped, "nfs": objectstore.Skipped, "S3": objectstore.Failed} {
		r := objectstore.Check(context.Background(), backupLocation(provider), map[string][]byte{"path": []byte(bucket)}, objectstore.Options{})
		if r.Status != want || r.Detail == "" || len(r.Calls) != 0 {
			t.Errorf("%s: status %s, want %s: %s", provider, r.Status, want, r.Text())
		}
	}
	r := objectstore.Check(context.Background(), backupLocation("azure"), nil, objectstore.Options{})
	if !strings.Contains(r.Detail, "no Azure Blob test server") {
		t.Errorf("azure's reason: %s", r.Detail)
	}
}

func TestS3ProbeIsDeletedWhenTheReadFails(t *testing.T) {
	url, hostport := s3Server(t, "--deny", "GetObject")
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(hostport, bucket, secret, true), objectstore.Options{})
	if r.Status != objectstore.Failed || !strings.Contains(r.Text(), "403 Forbidden AccessDenied") || !strings.Contains(r.Detail, "may not read back") {
		t.Fatalf("status %s: %s", r.Status, r.Text())
	}
	if got := callNames(r); got != "HeadBucket,PutObject,GetObject(failed),DeleteObject" {
		t.Errorf("calls %s: the probe must be deleted after a failed read", got)
	}
	if left := s3Probes(t, url, nil); len(left) != 0 {
		t.Errorf("objects left in the bucket: %v", left)
	}
}

func TestS3ProbeThatCannotBeDeletedIsNamed(t *testing.T) {
	url, hostport := s3Server(t, "--deny", "DeleteObject")
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(hostport, bucket, secret, true), objectstore.Options{})
	left := s3Probes(t, url, nil)
	if len(left) != 1 || !strings.HasPrefix(left[0], objectstore.ProbePrefix) {
		t.Fatalf("the bucket holds %v, want the one undeletable probe", left)
	}
	if r.Status != objectstore.Failed || !strings.Contains(r.Detail, fmt.Sprintf("the probe object %q may be left in bucket %q: delete it", left[0], bucket)) {
		t.Errorf("status %s: %s", r.Status, r.Text())
	}
	if got := callNames(r); got != "HeadBucket,PutObject,GetObject,DeleteObject(failed)" {
		t.Errorf("calls %s", got)
	}
}

func TestS3RedirectIsNotFollowed(t *testing.T) {
	var targetConns atomic.Int64
	target := httptest.NewUnstartedServer(http.NotFoundHandler())
	target.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			targetConns.Add(1)
		}
	}
	target.Start()
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	_, hostport, _ := strings.Cut(redirector.URL, "://")
	r := objectstore.Check(context.Background(), backupLocation("s3"), s3Data(hostport, bucket, secret, true), objectstore.Options{})
	if r.Status != objectstore.Failed || !strings.Contains(r.Text(), "307 Temporary Redirect") {
		t.Errorf("status %s: %s", r.Status, r.Text())
	}
	if n := targetConns.Load(); n != 0 {
		t.Errorf("the redirect's target got %d connections (with the signed request)", n)
	}
	assertNoSecret(t, r, target.URL)
}
