package portworx

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
)

// What storkctl looks for (Stork pkg/storkctl/clusterpair.go).
const (
	// ServiceLabelSelector selects the Portworx API Service, in every
	// namespace.
	ServiceLabelSelector = "name=portworx-api"
	// PortName is the name of the Service port of the Portworx REST API.
	PortName = "px-api"
)

// ErrEndpointRequired is wrapped by every error of Discover that means the
// destination does not say where its Portworx API is reachable from the
// source cluster: the caller asks for the endpoint explicitly instead.
var ErrEndpointRequired = errors.New("the Portworx API endpoint must be given explicitly")

// DiscoveryError is why Discover found no usable endpoint. It wraps
// ErrEndpointRequired (errors.Is). Its message names the Service and the
// reason, never a command-line flag.
type DiscoveryError struct {
	// Service is namespace/name of the Service involved, "" when none was
	// found or several were.
	Service string
	// Type is the Service's type, "" when Service is "".
	Type corev1.ServiceType
	// Reason says what was found and why it cannot be used.
	Reason string
}

func (e *DiscoveryError) Error() string {
	if e.Service == "" {
		return e.Reason
	}
	return fmt.Sprintf("Service %s (%s): %s", e.Service, e.Type, e.Reason)
}

// Unwrap makes errors.Is(err, ErrEndpointRequired) true.
func (e *DiscoveryError) Unwrap() error { return ErrEndpointRequired }

// Discovery is the endpoint Discover found and how, for the caller to show.
type Discovery struct {
	// Endpoint is where the Portworx API is. Its scheme is http, as
	// storkctl's "host:port" makes it.
	Endpoint Endpoint
	// Namespace and Name are the Service's.
	Namespace, Name string
	// Type is the Service's type (always LoadBalancer).
	Type corev1.ServiceType
	// Field is the status field the host came from:
	// status.loadBalancer.ingress[0].hostname or .ip.
	Field string
	// PortName is the name of the Service port used (PortName).
	PortName string
}

// Describe says in one line where the endpoint came from.
func (d *Discovery) Describe() string {
	return fmt.Sprintf("Service %s/%s (%s, label %s): %s %s, port %s %d", d.Namespace, d.Name, d.Type,
		ServiceLabelSelector, d.Field, d.Endpoint.Host, d.PortName, d.Endpoint.Port)
}

// Discover finds the destination's Portworx API endpoint as storkctl's
// getPXEndPointDetails does: the Services labelled name=portworx-api in
// every namespace; of a LoadBalancer, status.loadBalancer.ingress[0]'s
// hostname (else its ip) and the port named px-api. It is stricter than
// storkctl, which takes the first Service the API server lists, joins an
// empty host or port without complaint, and for a ClusterIP Service takes
// the first pod address of its Endpoints: Discover refuses all of these
// with a *DiscoveryError, since the address would be wrong or, for
// ClusterIP, usually unreachable from the source cluster.
func Discover(ctx context.Context, client kubernetes.Interface) (*Discovery, error) {
	list, err := client.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: ServiceLabelSelector})
	if err != nil {
		return nil, fmt.Errorf("listing the Services labelled %s in every namespace of the destination: %s", ServiceLabelSelector, diag.RedactURLsIn(err.Error()))
	}
	switch n := len(list.Items); {
	case n == 0:
		return nil, &DiscoveryError{Reason: "no Service labelled " + ServiceLabelSelector + " in any namespace of the destination: Portworx is not installed there, or its API Service has another label"}
	case n > 1:
		names := make([]string, 0, n)
		for _, s := range list.Items {
			names = append(names, s.Namespace+"/"+s.Name)
		}
		sort.Strings(names)
		return nil, &DiscoveryError{Reason: fmt.Sprintf("%d Services are labelled %s (%s); storkctl would take whichever the API server lists first", n, ServiceLabelSelector, strings.Join(names, ", "))}
	}
	svc := list.Items[0]
	fail := func(reason string) error {
		return &DiscoveryError{Service: svc.Namespace + "/" + svc.Name, Type: svc.Spec.Type, Reason: reason}
	}
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer:
	case corev1.ServiceTypeClusterIP, "":
		return nil, fail("a ClusterIP Service has no address outside the destination cluster: its cluster IP, and the pod addresses of its Endpoints that storkctl would take, are usually unreachable from the source cluster's Stork and Portworx")
	default:
		return nil, fail("only a LoadBalancer Service's address can be discovered (storkctl refuses this type too)")
	}
	d := &Discovery{Namespace: svc.Namespace, Name: svc.Name, Type: svc.Spec.Type, PortName: PortName, Endpoint: Endpoint{Scheme: "http"}}
	ingress := svc.Status.LoadBalancer.Ingress
	switch {
	case len(ingress) == 0:
		return nil, fail("status.loadBalancer.ingress is empty: the load balancer has no address yet")
	case ingress[0].Hostname != "":
		d.Endpoint.Host, d.Field = ingress[0].Hostname, "status.loadBalancer.ingress[0].hostname"
	case ingress[0].IP != "":
		d.Endpoint.Host, d.Field = ingress[0].IP, "status.loadBalancer.ingress[0].ip"
	default:
		return nil, fail("status.loadBalancer.ingress[0] has neither a hostname nor an ip")
	}
	var ports []string
	for _, p := range svc.Spec.Ports {
		if p.Name == PortName {
			d.Endpoint.Port = int(p.Port)
			return d, nil
		}
		ports = append(ports, fmt.Sprintf("%q", p.Name))
	}
	if len(ports) == 0 {
		return nil, fail("it has no ports; the Portworx API port is named " + PortName)
	}
	return nil, fail(fmt.Sprintf("no port is named %s (its ports: %s)", PortName, strings.Join(ports, ", ")))
}
