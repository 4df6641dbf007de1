// Command genkubeconfig writes the plaintext kubeconfigs and tokens that
// hack/gen-fixtures.sh encrypts into testdata/ and examples/. They describe
// made-up clusters: the certificates are freshly generated and sign nothing
// real.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genkubeconfig OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genkubeconfig:", err)
		os.Exit(1)
	}
}

type pair struct{ cert, key []byte }

func run(dir string) error {
	ca, caCert, caKey, err := newCA("demo-destination-ca")
	if err != nil {
		return err
	}
	client, err := newClient("clusterpair-demo", caCert, caKey)
	if err != nil {
		return err
	}
	writeKC := func(name string, cfg *clientcmdapi.Config) error {
		data, err := clientcmd.Write(*cfg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	token := func() string {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}

	// The main fixture: two contexts, the current one uses a client certificate;
	// the cluster carries an extension, as minikube writes them.
	main := clientcmdapi.NewConfig()
	main.Clusters["destination"] = &clientcmdapi.Cluster{Server: "https://destination.example.com:6443", CertificateAuthorityData: ca}
	main.Clusters["destination"].Extensions = map[string]runtime.Object{}
	main.Clusters["destination"].Extensions["cluster_info"] = &runtime.Unknown{Raw: []byte(`{"provider":"minikube.sigs.k8s.io","version":"v1.33.0"}`), ContentType: runtime.ContentTypeJSON}
	main.Clusters["unrelated"] = &clientcmdapi.Cluster{Server: "https://unrelated.example.com:6443", CertificateAuthorityData: ca}
	main.AuthInfos["destination-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: client.cert, ClientKeyData: client.key}
	main.AuthInfos["unrelated-admin"] = &clientcmdapi.AuthInfo{Token: "unrelated-" + token()}
	main.Contexts["destination"] = &clientcmdapi.Context{Cluster: "destination", AuthInfo: "destination-admin", Namespace: "app"}
	main.Contexts["unrelated"] = &clientcmdapi.Context{Cluster: "unrelated", AuthInfo: "unrelated-admin"}
	main.CurrentContext = "destination"
	if err := writeKC("kubeconfig.yaml", main); err != nil {
		return err
	}

	// An exec-plugin user, as EKS writes them (no interactiveMode).
	exec := clientcmdapi.NewConfig()
	exec.Clusters["eks"] = &clientcmdapi.Cluster{Server: "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com", CertificateAuthorityData: ca}
	exec.AuthInfos["eks-user"] = &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{
		APIVersion: "client.authentication.k8s.io/v1beta1", Command: "aws-iam-authenticator",
		Args: []string{"token", "-i", "destination"}, Env: []clientcmdapi.ExecEnvVar{{Name: "AWS_PROFILE", Value: "dr"}},
	}}
	exec.Contexts["eks"] = &clientcmdapi.Context{Cluster: "eks", AuthInfo: "eks-user"}
	exec.CurrentContext = "eks"
	if err := writeKC("kubeconfig-exec.yaml", exec); err != nil {
		return err
	}

	// A token user on a loopback server that skips TLS verification.
	insecure := clientcmdapi.NewConfig()
	insecure.Clusters["kind"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", InsecureSkipTLSVerify: true}
	insecure.AuthInfos["kind-admin"] = &clientcmdapi.AuthInfo{Token: "insecure-" + token()}
	insecure.Contexts["kind"] = &clientcmdapi.Context{Cluster: "kind", AuthInfo: "kind-admin"}
	insecure.CurrentContext = "kind"
	if err := writeKC("kubeconfig-insecure.yaml", insecure); err != nil {
		return err
	}

	// File-path credentials, which would be resolved inside the Stork pod.
	paths := clientcmdapi.NewConfig()
	paths.Clusters["onprem"] = &clientcmdapi.Cluster{Server: "https://10.0.0.1:6443", CertificateAuthority: "/etc/kubernetes/pki/ca.crt"}
	paths.AuthInfos["onprem-admin"] = &clientcmdapi.AuthInfo{ClientCertificate: "/etc/kubernetes/pki/admin.crt", ClientKey: "/etc/kubernetes/pki/admin.key"}
	paths.Contexts["onprem"] = &clientcmdapi.Context{Cluster: "onprem", AuthInfo: "onprem-admin"}
	paths.CurrentContext = "onprem"
	if err := writeKC("kubeconfig-filepaths.yaml", paths); err != nil {
		return err
	}

	// No current-context: the request must name one.
	nocur := main.DeepCopy()
	nocur.CurrentContext = ""
	if err := writeKC("kubeconfig-nocontext.yaml", nocur); err != nil {
		return err
	}

	// Two authentication methods on one user: Stork's ConfirmUsable rejects it.
	twoAuth := main.DeepCopy()
	twoAuth.AuthInfos["destination-admin"].Username = "admin"
	twoAuth.AuthInfos["destination-admin"].Password = "two-auth-" + token()
	twoAuth.AuthInfos["destination-admin"].Token = "two-auth-" + token()
	if err := writeKC("kubeconfig-twoauth.yaml", twoAuth); err != nil {
		return err
	}

	// An expired client certificate, and a certificate whose key is another's.
	expired, err := newClientValidity("clusterpair-expired", caCert, caKey, time.Now().AddDate(-2, 0, 0), time.Now().AddDate(-1, 0, 0))
	if err != nil {
		return err
	}
	expiredCfg := main.DeepCopy()
	expiredCfg.AuthInfos["destination-admin"].ClientCertificateData = expired.cert
	expiredCfg.AuthInfos["destination-admin"].ClientKeyData = expired.key
	if err := writeKC("kubeconfig-expired.yaml", expiredCfg); err != nil {
		return err
	}
	mismatch := main.DeepCopy()
	mismatch.AuthInfos["destination-admin"].ClientKeyData = expired.key
	if err := writeKC("kubeconfig-keymismatch.yaml", mismatch); err != nil {
		return err
	}

	// A bound service-account token (a JWT, as a TokenRequest returns it)
	// whose exp claim is a fixed date, for the expiry goldens. The signature
	// is random bytes: nothing verifies it offline.
	jwtCfg := clientcmdapi.NewConfig()
	jwtCfg.Clusters["destination"] = &clientcmdapi.Cluster{Server: "https://destination.example.com:6443", CertificateAuthorityData: ca}
	jwtCfg.AuthInfos["clusterpair-sa"] = &clientcmdapi.AuthInfo{Token: demoJWT(time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC))}
	jwtCfg.Contexts["destination"] = &clientcmdapi.Context{Cluster: "destination", AuthInfo: "clusterpair-sa"}
	jwtCfg.CurrentContext = "destination"
	if err := writeKC("kubeconfig-jwt.yaml", jwtCfg); err != nil {
		return err
	}

	// The source cluster, for reverse pairs.
	srcCA, srcCACert, srcCAKey, err := newCA("demo-source-ca")
	if err != nil {
		return err
	}
	srcClient, err := newClient("clusterpair-demo-reverse", srcCACert, srcCAKey)
	if err != nil {
		return err
	}
	source := clientcmdapi.NewConfig()
	source.Clusters["source"] = &clientcmdapi.Cluster{Server: "https://source.example.com:6443", CertificateAuthorityData: srcCA}
	source.AuthInfos["source-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: srcClient.cert, ClientKeyData: srcClient.key}
	source.Contexts["source"] = &clientcmdapi.Context{Cluster: "source", AuthInfo: "source-admin"}
	source.CurrentContext = "source"
	if err := writeKC("source-kubeconfig.yaml", source); err != nil {
		return err
	}

	// A made-up Google service-account key (a real RSA key that signs nothing).
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	saDER, err := x509.MarshalPKCS8PrivateKey(saKey)
	if err != nil {
		return err
	}
	sa := map[string]string{
		"type": "service_account", "project_id": "demo-dr-project", "private_key_id": token()[:40],
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: saDER})),
		"client_email": "px-backup@demo-dr-project.iam.gserviceaccount.com", "client_id": "104242424242424242424",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
	}
	saJSON, err := json.MarshalIndent(sa, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "gcp-key.json"), saJSON, 0o600); err != nil {
		return err
	}
	delete(sa, "private_key")
	badJSON, _ := json.MarshalIndent(sa, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "gcp-key-incomplete.json"), badJSON, 0o600); err != nil {
		return err
	}

	for name, content := range map[string]string{
		"objectstore.yaml": "s3:\n  accessKeyID: AKIA" + strings.ToUpper(token()[:16]) + "\n  secretAccessKey: " + token() + "\n" +
			"azure:\n  accountKey: " + token() + token() + "==\n" + "encryptionKey: enc-" + token() + "\n",
		"source-token.txt": "px-source-" + token() + "\n",
		"azure-sp.yaml":    "clientSecret: sp~" + token() + "\n",
		"token.txt":        "px-" + token() + "\n",
		"secrets.yaml":     "portworx:\n  token: px-" + token() + "\n  endpoint: px.destination.example.com\n",
		"token-ws.txt":     "px-" + token() + " trailing-part\n",
		"px.env":           "PX_TOKEN=px-" + token() + "\n",
		"px-plain.txt":     "px-plaintext-" + token() + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// demoJWT returns a JWS shaped like a Kubernetes bound service-account
// token expiring at exp, with a random (invalid) signature.
func demoJWT(exp time.Time) string {
	enc := base64.RawURLEncoding.EncodeToString
	sig := make([]byte, 64)
	_, _ = rand.Read(sig)
	claims := fmt.Sprintf(`{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":%d,"iat":%d,"iss":"https://kubernetes.default.svc.cluster.local","sub":"system:serviceaccount:kube-system:clusterpair-demo"}`, exp.Unix(), exp.Add(-365*24*time.Hour).Unix())
	return enc([]byte(`{"alg":"RS256","kid":"demo"}`)) + "." + enc([]byte(claims)) + "." + enc(sig)
}

func newCA(cn string) ([]byte, *x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, key, nil
}

func newClient(cn string, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (pair, error) {
	return newClientValidity(cn, ca, caKey, time.Now().Add(-time.Hour), time.Now().AddDate(10, 0, 0))
}

func newClientValidity(cn string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, notBefore, notAfter time.Time) (pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return pair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn, Organization: []string{"system:masters"}},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return pair{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return pair{}, err
	}
	return pair{
		cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		key:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}
