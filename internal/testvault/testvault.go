// Package testvault is a loopback stand-in for HashiCorp Vault's transit
// engine, enough for sops's hc_vault key source (encrypt and decrypt of a
// data key), and a helper that rewrites a SOPS file's metadata to name a
// Vault key. It counts every connection it accepts, so that a test can
// prove that none was made. For tests only.
package testvault

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"
)

// Token is the only Vault token the server accepts.
const Token = "s.testvault-token-not-a-secret"

// Server is a fake Vault transit engine on 127.0.0.1.
type Server struct {
	// URL is the server's address, http://127.0.0.1:PORT.
	URL string

	srv      *httptest.Server
	conns    atomic.Int64
	requests atomic.Int64
}

// Start starts a server that the test closes when it ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.srv.Start()
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Connections is the number of connections accepted so far.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Requests is the number of transit requests answered with success.
func (s *Server) Requests() int64 { return s.requests.Load() }

// KeyURI is the sops URI of a transit key of this server.
func (s *Server) KeyURI(name string) string { return s.URL + "/v1/transit/keys/" + name }

// serve answers PUT/POST /v1/transit/{encrypt,decrypt}/NAME. The
// "ciphertext" is the base64 plaintext behind a "vault:v1:" prefix: this is
// a stand-in for the protocol, not for the cryptography.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != Token {
		writeJSON(w, http.StatusForbidden, map[string]any{"errors": []string{"permission denied"}})
		return
	}
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || (r.Method != http.MethodPut && r.Method != http.MethodPost) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{"bad request"}})
		return
	}
	switch {
	case strings.HasPrefix(r.URL.Path, "/v1/transit/encrypt/"):
		s.requests.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"ciphertext": "vault:v1:" + body["plaintext"]}})
	case strings.HasPrefix(r.URL.Path, "/v1/transit/decrypt/"):
		plain, ok := strings.CutPrefix(body["ciphertext"], "vault:v1:")
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]any{"errors": []string{"invalid ciphertext"}})
			return
		}
		s.requests.Add(1)
		writeJSON(w, http.StatusOK, map[string]any{"data": map[string]string{"plaintext": plain}})
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": []string{"no handler"}})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// VaultOnly rewrites a SOPS-encrypted YAML file so that its only master key
// is a Vault transit key at address (its "enc" is not a real one: whoever
// contacts the address would fail after connecting).
func VaultOnly(t testing.TB, data []byte, address string) []byte {
	t.Helper()
	return withVault(t, data, address, true)
}

// AlsoVault adds such a Vault key to a SOPS-encrypted YAML file, keeping
// its other keys (in the same key group).
func AlsoVault(t testing.TB, data []byte, address string) []byte {
	t.Helper()
	return withVault(t, data, address, false)
}

func withVault(t testing.TB, data []byte, address string, only bool) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	meta, ok := doc["sops"].(map[string]any)
	if !ok {
		t.Fatal("not a SOPS YAML file")
	}
	if only {
		delete(meta, "age")
		delete(meta, "pgp")
	}
	meta["hc_vault"] = []any{map[string]any{
		"vault_address": address,
		"engine_path":   "transit",
		"key_name":      "k",
		"created_at":    "2026-01-01T00:00:00Z",
		"enc":           "vault:v1:bm90LWEtcmVhbC1rZXk=",
	}}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
