package main

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// newS3 is gofakes3 (in memory, path-style) behind a Signature Version 4
// check for one access key.
func newS3(names []string, keyID, secret, region string, deny []string) (http.Handler, error) {
	backend := s3mem.New()
	for _, b := range names {
		if err := backend.CreateBucket(b); err != nil {
			return nil, err
		}
	}
	faker := gofakes3.New(backend)
	denied := map[string]bool{}
	for _, d := range deny {
		denied[d] = true
	}
	return &sigv4{next: faker.Server(), creds: aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, region: region, deny: denied}, nil
}

// sigv4 verifies the Authorization header of every request by signing the
// same request again, with the AWS SDK's own signer and the secret key only
// this server and the test know, over exactly the headers the client says
// it signed.
type sigv4 struct {
	next   http.Handler
	creds  aws.Credentials
	region string
	deny   map[string]bool
}

// objectCall names a path-style call on an object (/bucket/key), "" for
// anything else.
func objectCall(r *http.Request) string {
	q := r.URL.Query()
	q.Del("x-id") // the AWS SDK adds x-id=GetObject and the like
	if strings.Count(strings.Trim(r.URL.Path, "/"), "/") < 1 || len(q) != 0 {
		return ""
	}
	switch r.Method {
	case http.MethodGet:
		return "GetObject"
	case http.MethodDelete:
		return "DeleteObject"
	}
	return ""
}

func (s *sigv4) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if code, msg := s.verify(r); code != "" {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
		return
	}
	if call := objectCall(r); call != "" && s.deny[call] {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
		return
	}
	s.next.ServeHTTP(w, r)
}

func (s *sigv4) verify(r *http.Request) (code, msg string) {
	const algo = "AWS4-HMAC-SHA256 "
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, algo) {
		return "AccessDenied", "no AWS4-HMAC-SHA256 Authorization header"
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, algo), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[3] != "s3" || scope[4] != "aws4_request" {
		return "AuthorizationHeaderMalformed", "bad credential scope"
	}
	if scope[0] != s.creds.AccessKeyID {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	if scope[2] != s.region {
		return "AuthorizationHeaderMalformed", "the region is wrong; expecting " + s.region
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "AccessDenied", "no X-Amz-Date"
	}
	// The request as the client signed it: its method, URL and the signed
	// headers only (Host and Content-Length live outside r.Header here).
	again, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return "AccessDenied", "bad request URI"
	}
	again.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			if vs, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
				again.Header[http.CanonicalHeaderKey(h)] = vs
			}
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	err = signer.SignHTTP(r.Context(), s.creds, again, r.Header.Get("X-Amz-Content-Sha256"), "s3", s.region, when)
	if err != nil {
		return "AccessDenied", "cannot verify the signature"
	}
	want := signature(again.Header.Get("Authorization"))
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(fields["Signature"])) != 1 {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	}
	return "", ""
}

func signature(auth string) string {
	_, sig, _ := strings.Cut(auth, "Signature=")
	return sig
}
