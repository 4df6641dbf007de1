//go:build cluster

package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpx"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/portworx"
)

// TestPortworxDiscovery does what `storkctl create clusterpair` does with a
// destination before pairing, against a real kube-apiserver: the Service
// labelled name=portworx-api (type LoadBalancer, its status written through
// the status subresource as a cloud controller would) gives the endpoint,
// the Secret px-admin-token gives the PX-Security token, and with both the
// pairing token comes from a Portworx API stand-in (internal/testpx) at
// that endpoint. Then the Service becomes ClusterIP and is refused.
func TestPortworxDiscovery(t *testing.T) {
	testenv.Isolate(t)
	kas := binary(t, "KUBE_APISERVER", "kube-apiserver", "run `make e2e` (hack/build-kube-apiserver.sh builds it into .cache/)")
	etcd := binary(t, "ETCD", "etcd", "run `make e2e` (hack/ensure-etcd.sh installs Debian's etcd-server)")
	dst := newAPIServer(t, "px-destination", kas, etcd)
	dst.waitReady(t)
	ctx := context.Background()

	enc := base64.RawURLEncoding.EncodeToString
	admin := enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(`{"sub":"px-admin"}`)) + ".c2ln"
	const pairToken = "e2e-pair-token-0123456789abcdef"
	px := testpx.Start(t, testpx.Options{PairToken: pairToken, AuthToken: admin})

	ensureNamespace(t, dst, "portworx")
	core := dst.kube.CoreV1()
	if _, err := core.Secrets("portworx").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "px-admin-token"},
		Data:       map[string][]byte{"auth-token": []byte(admin)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A Secret of the same name elsewhere would be ambiguous; another name is ignored.
	if _, err := core.Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "px-user-token"},
		Data:       map[string][]byte{"auth-token": []byte("not-this-one")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := core.Services("portworx").Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "portworx-api", Labels: map[string]string{"name": "portworx-api"}},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeLoadBalancer,
			Selector: map[string]string{"name": "portworx"},
			Ports: []corev1.ServicePort{
				{Name: "px-api", Port: int32(px.Port), Protocol: corev1.ProtocolTCP},
				{Name: "px-sdk", Port: 9020, Protocol: corev1.ProtocolTCP},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// No load balancer address yet: refused, as "no address yet".
	if _, err := portworx.Discover(ctx, dst.kube); !errors.Is(err, portworx.ErrEndpointRequired) || !strings.Contains(err.Error(), "no address yet") {
		t.Fatalf("before the load balancer has an address: %v", err)
	}

	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "127.0.0.1"}}
	if svc, err = core.Services("portworx").UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := portworx.Discover(ctx, dst.kube)
	if err != nil {
		t.Fatal(err)
	}
	if want := (portworx.Endpoint{Scheme: "http", Host: "127.0.0.1", Port: px.Port}); d.Endpoint != want || d.Field != "status.loadBalancer.ingress[0].ip" {
		t.Fatalf("discovered %s from %s, want %s from the ingress ip", d.Endpoint, d.Field, want)
	}
	auth, err := portworx.FindAuthToken(ctx, dst.kube, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth == nil || auth.Namespace != "portworx" || auth.Name != "px-admin-token" || string(auth.Token) != admin {
		t.Fatalf("auth token from %+v", auth)
	}
	got, err := portworx.FetchPairToken(ctx, d.Endpoint, portworx.FetchOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Token) != pairToken || px.LastHeader().Get("Authorization") != "bearer "+admin {
		t.Fatalf("pair token %q (Authorization %q)", got.Token, px.LastHeader().Get("Authorization"))
	}
	// The same in one call, as new makes it.
	p, err := portworx.FromDestination(ctx, dst.kube, portworx.PairingOptions{})
	if err != nil || string(p.Token) != pairToken || p.Auth == nil || p.Auth.Annotations()[portworx.AnnotationAuthSecretNamespace] != "portworx" {
		t.Fatalf("FromDestination: %+v, %v", p, err)
	}
	summary.addApplied("Service portworx/portworx-api (LoadBalancer, status via the status subresource) and Secret portworx/px-admin-token (%s): discovered %s, pair token fetched", dst.name, d.Describe())

	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{Hostname: "px-api.e2e.invalid", IP: "127.0.0.1"}}
	if svc, err = core.Services("portworx").UpdateStatus(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if d, err = portworx.Discover(ctx, dst.kube); err != nil || d.Endpoint.Host != "px-api.e2e.invalid" || d.Field != "status.loadBalancer.ingress[0].hostname" {
		t.Fatalf("with a hostname: %+v, %v", d, err)
	}

	svc.Spec.Type = corev1.ServiceTypeClusterIP
	if _, err = core.Services("portworx").Update(ctx, svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = portworx.Discover(ctx, dst.kube)
	var de *portworx.DiscoveryError
	if !errors.As(err, &de) || de.Service != "portworx/portworx-api" || de.Type != corev1.ServiceTypeClusterIP || !errors.Is(err, portworx.ErrEndpointRequired) {
		t.Fatalf("a ClusterIP Service: %v, want a refusal", err)
	}
}
