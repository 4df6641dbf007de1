package portworx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpx"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/portworx"
)

func TestFromDestinationDiscoversAuthenticatesAndFetches(t *testing.T) {
	admin := jwt("admin")
	px := testpx.Start(t, testpx.Options{PairToken: pairToken, AuthToken: admin})
	client := fake.NewClientset(
		service("portworx", "portworx-api", corev1.ServiceTypeLoadBalancer, []corev1.LoadBalancerIngress{{IP: px.Host}},
			corev1.ServicePort{Name: "px-api", Port: int32(px.Port)}),
		secret("portworx", "px-admin-token", map[string][]byte{"auth-token": []byte(admin)}))
	p, err := portworx.FromDestination(context.Background(), client, portworx.PairingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Token) != pairToken || p.Discovery == nil || p.Auth == nil || p.RequestIP() != px.Host || p.Endpoint.Port != px.Port {
		t.Fatalf("got %+v", p)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "the auth token and the pairing token crossed the network unencrypted") {
		t.Errorf("warnings %q", p.Warnings)
	}
}

func TestFromDestinationWithAGivenHTTPSEndpoint(t *testing.T) {
	ca := testpki.NewCA(t, "px-ca")
	px := tlsServer(t, ca, testpx.Options{PairToken: pairToken})
	ep := portworx.EndpointFromOptions("https://localhost", px.Port)
	// No portworx-api Service at all: the given endpoint is used as is.
	p, err := portworx.FromDestination(context.Background(), fake.NewClientset(), portworx.PairingOptions{Endpoint: &ep, CABundle: ca.CertPEM})
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Token) != pairToken || p.Discovery != nil || p.Auth != nil || p.RequestIP() != "https://localhost" || len(p.Warnings) != 0 {
		t.Fatalf("got %+v", p)
	}
}

func TestFromDestinationStopsAtTheFirstError(t *testing.T) {
	client := fake.NewClientset(service("kube-system", "portworx-api", corev1.ServiceTypeClusterIP, nil, pxPorts...))
	_, err := portworx.FromDestination(context.Background(), client, portworx.PairingOptions{})
	if !errors.Is(err, portworx.ErrEndpointRequired) {
		t.Fatalf("error %v, want ErrEndpointRequired", err)
	}
}
