//go:build cluster

package cluster

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeSAKey records the service-account signing key's path and returns it.
func (s *apiServer) writeSAKey(path string) string {
	s.saKeyFile = path
	return path
}

// startControllerManager runs kube-controller-manager against the server
// with only the service-account token controller, which fills
// kubernetes.io/service-account-token Secrets (signed with the server's
// service-account key) as on a real cluster. It serves nothing.
func (s *apiServer) startControllerManager(t testing.TB, kcmBin string) {
	t.Helper()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["self"] = &clientcmdapi.Cluster{Server: s.url, CertificateAuthorityData: s.admin.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: s.admin.CertData, ClientKeyData: s.admin.KeyData}
	cfg.Contexts["self"] = &clientcmdapi.Context{Cluster: "self", AuthInfo: "admin"}
	cfg.CurrentContext = "self"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := writeFile(t, filepath.Join(s.dir, "controller-manager.kubeconfig"), data)
	kcm := startProcess(t, s.name+"/kube-controller-manager", filepath.Join(s.dir, "kube-controller-manager.log"), kcmBin,
		"--kubeconfig="+kubeconfig,
		"--controllers=serviceaccount-token-controller",
		"--service-account-private-key-file="+s.saKeyFile,
		"--root-ca-file="+filepath.Join(s.dir, "ca.crt"),
		"--leader-elect=false",
		"--secure-port=0",
	)
	// Ready when it fills a token Secret of the default ServiceAccount.
	ctx := context.Background()
	ns := "kcm-probe"
	ensureNamespace(t, s, ns)
	deadline := time.Now().Add(startupDeadline)
	for {
		if _, err := s.kube.CoreV1().ServiceAccounts(ns).Get(ctx, "probe", metav1.GetOptions{}); err != nil {
			_, _ = s.kube.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}, metav1.CreateOptions{})
		}
		sec, err := s.kube.CoreV1().Secrets(ns).Get(ctx, "probe-token", metav1.GetOptions{})
		if err != nil {
			_, _ = s.kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "probe-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "probe"}},
				Type:       corev1.SecretTypeServiceAccountToken,
			}, metav1.CreateOptions{})
		} else if len(sec.Data[corev1.ServiceAccountTokenKey]) > 0 {
			return
		}
		if kcm.exited() {
			t.Fatalf("%s: kube-controller-manager exited during start-up (%v):\n%s", s.name, kcm.waitErr, kcm.logTail(40))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: kube-controller-manager filled no token Secret after %s:\n%s", s.name, startupDeadline, kcm.logTail(40))
		}
		time.Sleep(250 * time.Millisecond)
	}
}
