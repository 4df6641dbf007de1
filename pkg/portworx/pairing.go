package portworx

import (
	"context"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// PairingOptions are the options of Pairing.
type PairingOptions struct {
	// Endpoint, when set, is used instead of Discover (the operator named
	// it).
	Endpoint *Endpoint
	// AuthSecret, when set, names the Secret of the PX-Security token
	// instead of px-admin-token.
	AuthSecret *SecretRef
	// CABundle and InsecureSkipVerify are FetchOptions'.
	CABundle           []byte
	InsecureSkipVerify bool
}

// Pairing is what `storkctl create clusterpair` learns from a destination
// before it writes the source's pair.
type Pairing struct {
	// Discovery is how the endpoint was found; nil when it was given.
	Discovery *Discovery
	// Endpoint is where the pairing token came from: the request's
	// spec.storage.ip (with https:// for https) and port.
	Endpoint Endpoint
	// Auth is the PX-Security token used; nil without PX-Security. Its
	// Annotations() go on the pair.
	Auth *AuthToken
	// Token is the pairing token (in memory only).
	Token []byte
	// Warnings are FetchPairToken's, for the caller to print.
	Warnings []string
}

// RequestIP is the endpoint as the request's spec.storage.ip: the host,
// with https:// kept for an https endpoint (Stork and storkctl read it so).
func (p *Pairing) RequestIP() string {
	if p.Endpoint.Scheme == "https" {
		return "https://" + bracketed(p.Endpoint.Host)
	}
	return p.Endpoint.Host
}

func bracketed(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// FromDestination does what storkctl does with the destination cluster
// before pairing, in its order: find the endpoint (Discover, unless
// opts.Endpoint), read the PX-Security token (FindAuthToken), fetch the
// pairing token with it (FetchPairToken). client is a client of the
// destination; the first error stops it.
func FromDestination(ctx context.Context, client kubernetes.Interface, opts PairingOptions) (*Pairing, error) {
	p := &Pairing{}
	if opts.Endpoint != nil {
		p.Endpoint = *opts.Endpoint
	} else {
		d, err := Discover(ctx, client)
		if err != nil {
			return nil, err
		}
		p.Discovery, p.Endpoint = d, d.Endpoint
	}
	auth, err := FindAuthToken(ctx, client, opts.AuthSecret)
	if err != nil {
		return nil, err
	}
	p.Auth = auth
	tok, err := FetchPairToken(ctx, p.Endpoint, FetchOptions{Auth: auth, CABundle: opts.CABundle, InsecureSkipVerify: opts.InsecureSkipVerify})
	if err != nil {
		return nil, err
	}
	p.Token, p.Warnings = tok.Token, tok.Warnings
	return p, nil
}
