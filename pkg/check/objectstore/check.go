package objectstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/clusterpair-fn/clusterpair-fn/pkg/diag"
	"github.com/clusterpair-fn/clusterpair-fn/pkg/stork"
)

// Status is the outcome of a check.
type Status string

// The outcomes, with the words of pkg/check's live results.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// DefaultTimeout bounds Check when its context has no deadline.
const DefaultTimeout = 30 * time.Second

// ProbePrefix starts the name of every probe object.
const ProbePrefix = "clusterpair-fn-probe-"

// Options are the options of Check.
type Options struct {
	// CABundle is PEM certificates that verify an S3-compatible endpoint
	// signed by a private CA (Portworx is given it on its nodes); nil means
	// the system's roots.
	CABundle []byte
	// GoogleEndpoint replaces Google's Cloud Storage JSON API endpoint
	// (https://storage.googleapis.com/storage/v1/): a private endpoint, or
	// a test server.
	GoogleEndpoint string
}

// Call is one call made to the object store, and how it went.
type Call struct {
	// Name is the API call and its object: "HeadBucket px-dr",
	// "PutObject clusterpair-fn-probe-...".
	Name string
	// OK says whether it succeeded.
	OK bool
	// Outcome is "ok" or why it failed (status and error code).
	Outcome string
}

// Result is the outcome of Check.
type Result struct {
	// Provider is the BackupLocation's location.type.
	Provider string
	// Bucket is the Secret's path.
	Bucket string
	// Endpoint is where the calls went (scheme://host[:port]), "" when none
	// was made.
	Endpoint string
	// Status is passed, failed or skipped.
	Status Status
	// Calls are the calls made, in order.
	Calls []Call
	// Detail says why the check failed or was skipped ("" when passed).
	Detail string
	// Warnings are things to fix that did not fail the check.
	Warnings []string
}

// Text is the result in one line: the bucket, the endpoint, each call and
// its outcome, and the reason of a failure or skip.
func (r Result) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s bucket %q", r.Provider, r.Bucket)
	if r.Endpoint != "" {
		fmt.Fprintf(&b, " at %s", r.Endpoint)
	}
	if len(r.Calls) > 0 {
		parts := make([]string, len(r.Calls))
		for i, c := range r.Calls {
			parts[i] = c.Name + ": " + c.Outcome
		}
		b.WriteString(": " + strings.Join(parts, "; "))
	}
	switch {
	case r.Detail != "":
		b.WriteString(" — " + r.Detail)
	case r.Status == Passed:
		b.WriteString(" — the credentials may read and write the bucket; the probe object was deleted")
	}
	return b.String()
}

// Check tries the credentials of a rendered BackupLocation and the data of
// the Secret its location.secretConfig names (see the package comment for
// the calls per provider). Like Stork's UpdateFromSecret, it reads the
// provider from bl.Location.Type (the Secret's type key is ignored) and
// trims one trailing newline from every value.
func Check(ctx context.Context, bl *stork.BackupLocation, data map[string][]byte, opts Options) Result {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	get := func(k string) string { return strings.TrimSuffix(string(data[k]), "\n") }
	r := Result{Provider: bl.Location.Type, Bucket: get("path")}
	switch r.Provider {
	case "s3":
		checkS3(ctx, &r, get, opts)
	case "google":
		checkGoogle(ctx, &r, get, opts)
	case "azure":
		r.Status = Skipped
		r.Detail = "not checked: no Azure Blob test server runs where this tool is built and tested (Azurite is a Node program; no Go implementation is available), so no Azure check is shipped; Stork tries the account when it first uses the BackupLocation"
	case "nfs":
		r.Status = Skipped
		r.Detail = "not checked: Portworx mounts the NFS export from the cluster's nodes, which this machine is not"
	default:
		r.Status = Failed
		r.Detail = fmt.Sprintf("location.type %q is not one Stork knows (s3, azure, google, nfs)", r.Provider)
	}
	return r
}

// fail sets a failed result.
func (r *Result) fail(format string, args ...any) {
	r.Status = Failed
	r.Detail = fmt.Sprintf(format, args...)
}

// call records one call's outcome and reports whether it succeeded.
func (r *Result) call(name string, err error, explain func(error) string) bool {
	if err == nil {
		r.Calls = append(r.Calls, Call{Name: name, OK: true, Outcome: "ok"})
		return true
	}
	r.Calls = append(r.Calls, Call{Name: name, Outcome: explain(err)})
	return false
}

// probeName is a probe object's unique name.
func probeName() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return ProbePrefix + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b), nil
}

// probeContent is what a probe object holds: its own name, so a read of
// another object cannot pass for it.
func probeContent(name string) []byte {
	return []byte("clusterpair-fn check --live wrote this object to prove the credentials may write here and deletes it at once: " + name + "\n")
}

// httpClient is the client of every call: TLS verified (against CABundle
// when given), no redirect followed, proxies from the environment as the
// SDKs' default clients use them.
func httpClient(caBundle []byte) (*http.Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caBundle != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caBundle) {
			return nil, errors.New("the object store's CA bundle holds no PEM certificate")
		}
		tlsConfig.RootCAs = pool
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSClientConfig:       tlsConfig,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: DefaultTimeout,
			MaxIdleConnsPerHost:   2,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, nil
}

// transportText is a transport error's message without the request URL (the
// SDKs' errors quote it), and with the usual cause explained.
func transportText(err error) string {
	msg := err.Error()
	var ue interface {
		Timeout() bool
		Unwrap() error
	}
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		msg = ue.Unwrap().Error()
	}
	msg = diag.RedactURLsIn(msg)
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		msg += " (the endpoint's certificate is not signed by the CA bundle given, or by the system's roots when none is)"
	case errors.As(err, &hostname):
		msg += " (the endpoint's certificate does not name this host)"
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		msg += " (the endpoint speaks plain HTTP: disableSSL)"
	case strings.Contains(msg, "connection refused"):
		msg += " (nothing listens there, as seen from this machine)"
	case errors.Is(err, context.DeadlineExceeded):
		msg += " (no answer in time)"
	}
	return msg
}

// same reports whether a read gave back the probe's content.
func same(got, want []byte) bool { return bytes.Equal(got, want) }
