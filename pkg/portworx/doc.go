// Package portworx is the destination's Portworx API as `storkctl create
// clusterpair` finds and uses it (Stork's pkg/storkctl/clusterpair.go:
// getPXEndPointDetails, getPXAuthToken, getPXToken), so that `new` needs
// only kubeconfigs:
//
//   - Discover finds the endpoint: the Service labelled name=portworx-api
//     (in any namespace), a LoadBalancer's ingress hostname or IP with the
//     port named px-api. Where storkctl takes the first Service listed, or a
//     ClusterIP Service's pod address, Discover refuses with a
//     *DiscoveryError that wraps ErrEndpointRequired: the caller asks for
//     the endpoint instead.
//   - FindAuthToken reads the PX-Security admin token: the Secret
//     px-admin-token (key auth-token) in whichever namespace holds it, as
//     storkctl does, or a Secret the caller names. The token stays in
//     memory; its Secret's namespace and name are the pair's
//     openstorage.io/auth-secret-* annotations.
//   - FetchPairToken asks the endpoint for the pairing token, GET
//     /v1/cluster/pairtoken?reset=false, as openstorage's REST cluster client
//     (api/client/cluster) does — but verifying TLS (storkctl never does),
//     never following a redirect, reading a bounded response and putting no
//     response body, token or URL query into an error.
//
// FromDestination runs the three in storkctl's order. Nothing here prints; what was found and every warning is returned for the
// caller to show.
package portworx
