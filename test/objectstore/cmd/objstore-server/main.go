// Command objstore-server serves a real object store on loopback for the
// tests of pkg/check/objectstore, and prints one line, "ready URL", on
// stdout once it accepts connections. It runs until killed.
//
//	objstore-server s3  --bucket NAME... --access-key-id ID [--region R] [--tls-cert F --tls-key F] [--deny CALL...]
//	                    (the secret access key in $OBJSTORE_SECRET_ACCESS_KEY)
//	objstore-server gcs --bucket NAME... --public-key-file PEM
//
// s3 is github.com/johannesboyne/gofakes3 with its in-memory backend,
// path-style. gofakes3 checks no signature, so every request first has its
// AWS Signature Version 4 verified (sigv4.go) with the signer of the AWS
// SDK for Go v2 against the one access key this server knows: a wrong
// secret key is SignatureDoesNotMatch (403), an unknown key ID
// InvalidAccessKeyId (403), as Amazon S3 answers. --deny GetObject or
// DeleteObject refuses that call on objects (403 AccessDenied) for
// authenticated requests too, as a bucket policy granting less would.
//
// gcs is github.com/fsouza/fake-gcs-server/fakestorage (JSON and XML APIs,
// in memory). fake-gcs-server accepts any credentials, so this server also
// plays the OAuth 2.0 token endpoint a service-account key's token_uri names
// (POST /token, the JWT-bearer grant that golang.org/x/oauth2/jwt sends):
// it issues an access token only for an assertion signed (RS256) by the
// private key whose public half --public-key-file holds, and every storage
// request needs "Authorization: Bearer" with an issued token (401
// otherwise), as Google's APIs do (gcsauth.go).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

type buckets []string

func (b *buckets) String() string     { return strings.Join(*b, ",") }
func (b *buckets) Set(v string) error { *b = append(*b, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fail("usage: objstore-server s3|gcs [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var names buckets
	fs.Var(&names, "bucket", "a bucket to create at start (repeatable)")
	keyID := fs.String("access-key-id", "", "s3: the one access key ID accepted")
	region := fs.String("region", "us-east-1", "s3: the region signatures are scoped to")
	cert := fs.String("tls-cert", "", "serve HTTPS with this PEM certificate")
	key := fs.String("tls-key", "", "the PEM key of --tls-cert")
	pub := fs.String("public-key-file", "", "gcs: PEM public key of the service account")
	var deny buckets
	fs.Var(&deny, "deny", "s3: refuse this object call (GetObject, DeleteObject) with 403 AccessDenied, as a bucket policy would (repeatable)")
	_ = fs.Parse(os.Args[2:])

	var handler http.Handler
	switch os.Args[1] {
	case "s3":
		secret := os.Getenv("OBJSTORE_SECRET_ACCESS_KEY")
		if *keyID == "" || secret == "" {
			fail("s3 needs --access-key-id and $OBJSTORE_SECRET_ACCESS_KEY")
		}
		h, err := newS3(names, *keyID, secret, *region, deny)
		if err != nil {
			fail(err.Error())
		}
		handler = h
	case "gcs":
		h, err := newGCS(names, *pub)
		if err != nil {
			fail(err.Error())
		}
		handler = h
	default:
		fail("unknown mode " + os.Args[1])
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err.Error())
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 0}
	scheme := "http"
	if *cert != "" {
		scheme = "https"
	}
	fmt.Printf("ready %s://%s\n", scheme, ln.Addr())
	if *cert != "" {
		err = srv.ServeTLS(ln, *cert, *key)
	} else {
		err = srv.Serve(ln)
	}
	fail(err.Error())
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "objstore-server:", msg)
	os.Exit(2)
}
