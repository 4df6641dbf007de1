package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

// newGCS is fake-gcs-server (in memory) behind a bearer-token check, plus
// the token endpoint that issues those tokens for a JWT assertion signed by
// the service account's key.
func newGCS(names []string, pubFile string) (http.Handler, error) {
	pemData, err := os.ReadFile(pubFile)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, errors.New("--public-key-file holds no PEM block")
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("--public-key-file is not an RSA public key")
	}
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, Writer: nil})
	if err != nil {
		return nil, err
	}
	for _, b := range names {
		srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: b})
	}
	return &gcsAuth{next: srv.HTTPHandler(), pub: pub, issued: map[string]bool{}}, nil
}

type gcsAuth struct {
	next   http.Handler
	pub    *rsa.PublicKey
	mu     sync.Mutex
	issued map[string]bool
}

func (g *gcsAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/token" {
		g.token(w, r)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	valid := ok && g.issued[tok]
	g.mu.Unlock()
	if !valid {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError","message":"Invalid Credentials"}]}}`))
		return
	}
	g.next.ServeHTTP(w, r)
}

// token implements the JWT-bearer grant (RFC 7523) as Google's token
// endpoint does for a service-account key: the assertion must be an RS256
// JWT signed by the account's private key.
func (g *gcsAuth) token(w http.ResponseWriter, r *http.Request) {
	deny := func() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`))
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		deny()
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		deny()
		return
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil || header.Alg != "RS256" {
		deny()
		return
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		deny()
		return
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(g.pub, crypto.SHA256, sum[:], sig) != nil {
		deny()
		return
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	tok := hex.EncodeToString(raw)
	g.mu.Lock()
	g.issued[tok] = true
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}
