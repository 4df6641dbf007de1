// Package testpx is a stand-in for a Portworx node's REST API on loopback:
// it implements GET /v1/cluster/pairtoken as openstorage's REST client
// expects it — the route of api/server/cluster.go (getPairToken, registered
// at clusterPath(client.PairTokenPath, cluster.APIVersion)), the "reset"
// query parameter parsed with strconv.ParseBool (400 when invalid), the
// JSON answer of api.ClusterPairTokenGetResponse ({"token": "..."}, see
// api/api.pb.go) written with json.Encoder, and errors as http.Error text
// (api/server/server.go sendError) — all in libopenstorage/openstorage.
//
// With AuthToken set it plays PX-Security: a request without
// "Authorization: bearer AUTHTOKEN" (the header openstorage's
// api/client/request.go sends for a JWT) is 401. It counts connections and
// requests and records the last request's headers, so tests can prove what
// was (not) sent.
package testpx

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Server is a stand-in Portworx API.
type Server struct {
	// URL is the server's base URL (http:// or https://127.0.0.1:PORT).
	URL string
	// Host and Port are its address.
	Host string
	Port int

	srv      *httptest.Server
	conns    atomic.Int64
	requests atomic.Int64

	mu          sync.Mutex
	pairToken   string
	authToken   string
	handler     http.HandlerFunc
	lastHeader  http.Header
	lastRawPath string
	lastQuery   string
	resets      int
}

// Options configure a Server.
type Options struct {
	// PairToken is what GET /v1/cluster/pairtoken answers.
	PairToken string
	// AuthToken, when set, is the only bearer token accepted.
	AuthToken string
	// TLS, when set, serves HTTPS with this certificate.
	TLS *tls.Certificate
	// Handler, when set, answers every request instead (after the
	// connection and request are counted): for 500s, redirects, huge
	// bodies.
	Handler http.HandlerFunc
}

// Start starts a stand-in on loopback; it stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{pairToken: o.PairToken, authToken: o.AuthToken, handler: o.Handler}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	if o.TLS != nil {
		s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{*o.TLS}, MinVersion: tls.VersionTLS12}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	host, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	return s
}

// Connections is the number of TCP connections accepted so far.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Requests is the number of HTTP requests received so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// LastHeader is the headers of the last request (nil before any).
func (s *Server) LastHeader() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastHeader.Clone()
}

// LastRequest is the path and raw query of the last request.
func (s *Server) LastRequest() (path, query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastRawPath, s.lastQuery
}

// Resets is how many requests asked for a new token (reset=true).
func (s *Server) Resets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resets
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	s.lastHeader = r.Header.Clone()
	s.lastRawPath, s.lastQuery = r.URL.Path, r.URL.RawQuery
	handler := s.handler
	s.mu.Unlock()
	if handler != nil {
		handler(w, r)
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/v1/cluster/pairtoken" {
		http.NotFound(w, r)
		return
	}
	if s.authToken != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "bearer ")
		if !ok || got != s.authToken {
			http.Error(w, "Access denied, token is malformed or missing", http.StatusUnauthorized)
			return
		}
	}
	reset := false
	if v := r.URL.Query()["reset"]; v != nil {
		b, err := strconv.ParseBool(v[0])
		if err != nil {
			http.Error(w, "Invalid reset parameter", http.StatusBadRequest)
			return
		}
		reset = b
	}
	s.mu.Lock()
	if reset {
		s.resets++
		s.pairToken += "-reset"
	}
	tok := s.pairToken
	s.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok})
}
