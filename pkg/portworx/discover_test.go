package portworx_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/portworx"
)

func service(ns, name string, typ corev1.ServiceType, ingress []corev1.LoadBalancerIngress, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"name": "portworx-api"}},
		Spec:       corev1.ServiceSpec{Type: typ, Ports: ports},
		Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: ingress}},
	}
}

var pxPorts = []corev1.ServicePort{{Name: "px-api", Port: 9001}, {Name: "px-kvdb", Port: 9019}, {Name: "px-sdk", Port: 9020}}

func TestDiscoverLoadBalancer(t *testing.T) {
	for _, c := range []struct {
		name    string
		ingress corev1.LoadBalancerIngress
		host    string
		field   string
	}{
		{"hostname", corev1.LoadBalancerIngress{Hostname: "a1b2.elb.example.com", IP: "203.0.113.9"}, "a1b2.elb.example.com", "status.loadBalancer.ingress[0].hostname"},
		{"ip", corev1.LoadBalancerIngress{IP: "203.0.113.9"}, "203.0.113.9", "status.loadBalancer.ingress[0].ip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			unlabelled := service("default", "other", corev1.ServiceTypeLoadBalancer, []corev1.LoadBalancerIngress{{IP: "198.51.100.1"}}, pxPorts...)
			unlabelled.Labels = nil
			client := fake.NewClientset(unlabelled,
				service("portworx", "portworx-api", corev1.ServiceTypeLoadBalancer, []corev1.LoadBalancerIngress{c.ingress}, pxPorts...))
			d, err := portworx.Discover(context.Background(), client)
			if err != nil {
				t.Fatal(err)
			}
			want := portworx.Endpoint{Scheme: "http", Host: c.host, Port: 9001}
			if d.Endpoint != want || d.Namespace != "portworx" || d.Name != "portworx-api" || d.Field != c.field || d.PortName != "px-api" {
				t.Errorf("got %+v, want endpoint %v from %s", d, want, c.field)
			}
			if desc := d.Describe(); !strings.Contains(desc, "portworx/portworx-api") || !strings.Contains(desc, c.field+" "+c.host) || !strings.Contains(desc, "px-api 9001") {
				t.Errorf("Describe() = %q", desc)
			}
		})
	}
}

func TestDiscoverRefuses(t *testing.T) {
	for _, c := range []struct {
		name    string
		objects []runtime.Object
		service string
		want    string
	}{
		{"ClusterIP", []runtime.Object{service("kube-system", "portworx-api", corev1.ServiceTypeClusterIP, nil, pxPorts...)},
			"kube-system/portworx-api", "usually unreachable from the source cluster"},
		{"NodePort", []runtime.Object{service("kube-system", "portworx-api", corev1.ServiceTypeNodePort, nil, pxPorts...)},
			"kube-system/portworx-api", "only a LoadBalancer"},
		{"missing", nil, "", "no Service labelled name=portworx-api"},
		{"several", []runtime.Object{
			service("portworx", "portworx-api", corev1.ServiceTypeLoadBalancer, []corev1.LoadBalancerIngress{{IP: "203.0.113.9"}}, pxPorts...),
			service("kube-system", "portworx-api", corev1.ServiceTypeLoadBalancer, []corev1.LoadBalancerIngress{{IP: "203.0.113.10"}}, pxPorts...)},
			"", "2 Services are labelled name=portworx-api (kube-system/portworx-api, portworx/portworx-api)"},
		{"no px-api port", []runtime.Object{service("portworx", "portworx-api", corev1.ServiceTypeLoadBalancer,
			[]corev1.LoadBalancerIngress{{IP: "203.0.113.9"}}, corev1.ServicePort{Name: "px-sdk", Port: 9020})},
			"portworx/portworx-api", `no port is named px-api (its ports: "px-sdk")`},
		{"no ingress yet", []runtime.Object{service("portworx", "portworx-api", corev1.ServiceTypeLoadBalancer, nil, pxPorts...)},
			"portworx/portworx-api", "no address yet"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := portworx.Discover(context.Background(), fake.NewClientset(c.objects...))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, portworx.ErrEndpointRequired) {
				t.Errorf("error %v does not wrap ErrEndpointRequired", err)
			}
			var de *portworx.DiscoveryError
			if !errors.As(err, &de) || de.Service != c.service {
				t.Errorf("error %v: want a *DiscoveryError about %q", err, c.service)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "--") {
				t.Errorf("error %q names a flag", err)
			}
		})
	}
}

func secret(ns, name string, data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func TestFindAuthToken(t *testing.T) {
	admin := jwt("admin")
	ctx := context.Background()
	t.Run("px-admin-token in any namespace", func(t *testing.T) {
		client := fake.NewClientset(
			secret("portworx", "px-user-token", map[string][]byte{"auth-token": []byte("other")}),
			secret("portworx", "px-admin-token", map[string][]byte{"auth-token": []byte(admin + "\n")}))
		a, err := portworx.FindAuthToken(ctx, client, nil)
		if err != nil {
			t.Fatal(err)
		}
		if a == nil || string(a.Token) != admin || a.Namespace != "portworx" || a.Name != "px-admin-token" {
			t.Fatalf("got %+v", a)
		}
		if got := a.Annotations(); got[portworx.AnnotationAuthSecretNamespace] != "portworx" || got[portworx.AnnotationAuthSecretName] != "px-admin-token" {
			t.Errorf("annotations %v", got)
		}
		if strings.Contains(a.Describe(), admin) {
			t.Error("Describe shows the token")
		}
	})
	t.Run("none: no PX-Security", func(t *testing.T) {
		a, err := portworx.FindAuthToken(ctx, fake.NewClientset(secret("portworx", "other", nil)), nil)
		if a != nil || err != nil {
			t.Errorf("got %+v, %v; want nil, nil", a, err)
		}
	})
	t.Run("several", func(t *testing.T) {
		_, err := portworx.FindAuthToken(ctx, fake.NewClientset(
			secret("portworx", "px-admin-token", map[string][]byte{"auth-token": []byte(admin)}),
			secret("kube-system", "px-admin-token", map[string][]byte{"auth-token": []byte(admin)})), nil)
		if err == nil || !strings.Contains(err.Error(), "kube-system/px-admin-token, portworx/px-admin-token") || strings.Contains(err.Error(), admin) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("named", func(t *testing.T) {
		client := fake.NewClientset(secret("px", "my-token", map[string][]byte{"jwt": []byte(admin)}))
		a, err := portworx.FindAuthToken(ctx, client, &portworx.SecretRef{Namespace: "px", Name: "my-token", Key: "jwt"})
		if err != nil || string(a.Token) != admin || a.Key != "jwt" {
			t.Fatalf("got %+v, %v", a, err)
		}
		_, err = portworx.FindAuthToken(ctx, client, &portworx.SecretRef{Namespace: "px", Name: "my-token"})
		if err == nil || !strings.Contains(err.Error(), `has no key auth-token (its keys: "jwt")`) || strings.Contains(err.Error(), admin) {
			t.Errorf("error %v", err)
		}
		_, err = portworx.FindAuthToken(ctx, client, &portworx.SecretRef{Namespace: "px", Name: "missing"})
		if err == nil || !strings.Contains(err.Error(), "no Secret px/missing") {
			t.Errorf("error %v", err)
		}
	})
}
