package check

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/clusterpair-fn/clusterpair-fn/internal/testenv"
	"github.com/clusterpair-fn/clusterpair-fn/internal/testpki"
)

// The destination of a live check is the repository's choice: its answers
// must never reach the report (the table, -o json, -o junit) or stderr, and
// it must not send the check anywhere else.

// hostileServer is a loopback TLS server, certified by ca for 127.0.0.1,
// that counts the connections and requests it gets.
type hostileServer struct {
	url                   string
	connections, requests atomic.Int64
}

func startHostile(t *testing.T, ca *testpki.CA, handler http.HandlerFunc) *hostileServer {
	t.Helper()
	s := &hostileServer{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		handler(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.connections.Add(1)
		}
	}
	srv.TLS = newTLSConfig(t, ca)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// allOutputs runs the check of dir and returns its report in every format
// and what was written to stderr meanwhile.
func allOutputs(t *testing.T, opts Options) (*Report, map[string]string) {
	t.Helper()
	outs := map[string]string{}
	var r *Report
	outs["stderr"] = captureStderr(t, func() { r, outs["table"] = run(t, opts) })
	for _, format := range []string{"json", "junit"} {
		var b bytes.Buffer
		if err := r.WriteFormat(&b, format); err != nil {
			t.Fatal(err)
		}
		outs[format] = b.String()
	}
	return r, outs
}

// captureStderr returns what f writes to os.Stderr (klog, which client-go
// logs through, writes there).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = wr
	done := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(rd)
		done <- string(b)
	}()
	restored := false
	restore := func() string {
		if restored {
			return ""
		}
		restored = true
		os.Stderr = saved
		_ = wr.Close()
		return <-done
	}
	defer restore() // when f fails the test
	f()
	return restore()
}

func assertNowhere(t *testing.T, outs map[string]string, markers ...string) {
	t.Helper()
	for where, text := range outs {
		for _, m := range markers {
			if strings.Contains(text, m) {
				t.Errorf("%s shows what the server sent (%q):\n%s", where, m, text)
			}
		}
	}
}

// TestLiveFollowsNoRedirect: a destination that answers GET /version with a
// redirect (to a second loopback listener, or to another path of its own)
// fails the check, the second listener gets no connection, the destination
// no second request, and nothing of the answer (its Location, body or
// headers) is shown, with or without the isolated probe child. Before the
// fix client-go followed the redirect and reported the second server's
// version.
func TestLiveFollowsNoRedirect(t *testing.T) {
	testenv.UseDemoKey(t)
	ca := testpki.NewCA(t, "redirect-test-ca")
	marker := "REDIRECT-MARKER-" + strings.Repeat("8", 12)
	exe := testBinary(t)
	for i, code := range []int{301, 302, 303, 307, 308} {
		for _, where := range []string{"second", "self"} {
			for _, child := range []bool{false, true} {
				t.Run(fmt.Sprintf("%d to %s, child %v", code, where, child), func(t *testing.T) {
					second := startHostile(t, ca, func(w http.ResponseWriter, _ *http.Request) {
						w.Header().Set("Content-Type", "application/json")
						_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.2-second"}`))
					})
					var first *hostileServer
					first = startHostile(t, ca, func(w http.ResponseWriter, r *http.Request) {
						target := second.url
						if where == "self" {
							target = first.url
						}
						w.Header().Set("Location", target+"/version/"+marker+"?token="+marker)
						w.Header().Set("X-Marker", marker)
						w.Header().Set("Content-Type", "text/plain")
						w.WriteHeader(code)
						_, _ = w.Write([]byte("moved to " + marker))
					})
					spec := pairSpec{name: fmt.Sprintf("redirect-%d-%s-%v", i, where, child), server: first.url, caPEM: ca.CertPEM, token: "redirect-token-" + strings.Repeat("6", 20)}
					opts := Options{Live: true}
					if child {
						spec.token = ""
						spec.exec = &clientcmdapi.ExecConfig{
							Command: exe, Args: []string{fakePluginArg, filepath.Join(t.TempDir(), "ran"), "plugin-token-" + strings.Repeat("2", 20)},
							APIVersion: "client.authentication.k8s.io/v1", InteractiveMode: clientcmdapi.NeverExecInteractiveMode,
						}
						opts.AllowExec, opts.ProbeCommand = true, []string{exe, probeArg}
					}
					opts.Paths = []string{writePair(t, filepath.Join(t.TempDir(), spec.name), spec)}
					r, outs := allOutputs(t, opts)
					a := r.Pairs[0].Live[0]
					want := fmt.Sprintf("answered %d %s (a redirect, which the check does not follow", code, http.StatusText(code))
					if a.Status != LiveFailed || !strings.Contains(a.Detail, want) {
						t.Errorf("API server check %+v, want failed with %q", a, want)
					}
					if n := second.connections.Load(); n != 0 {
						t.Fatalf("the second listener got %d connections", n)
					}
					if n := first.requests.Load(); n != 1 {
						t.Errorf("the destination got %d requests, want 1", n)
					}
					assertNowhere(t, outs, marker, "v1.34.2-second", strings.TrimPrefix(second.url, "https://"))
				})
			}
		}
	}
}

// TestLiveShowsNoResponseBody: whatever a destination answers (an error
// status with a text, HTML or JSON body, a Kubernetes Status whose message
// is the server's, a reason phrase of its own, a Warning header, a
// malformed answer, a version that is not one), the report shows a status
// code and a fixed reason, never a byte of the body, a header or the
// reason phrase, in the table, -o json or -o junit, and nothing reaches
// stderr. Before the fix client-go's error quoted text bodies ("an error on
// the server (\"...\") has prevented the request from succeeding"), Status
// messages were shown as they were, and the Warning header was logged on
// stderr.
func TestLiveShowsNoResponseBody(t *testing.T) {
	testenv.UseDemoKey(t)
	ca := testpki.NewCA(t, "body-test-ca")
	marker := "BODY-MARKER-" + strings.Repeat("9", 12)
	text := func(code int, contentType string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.Header().Set("X-Marker", marker)
			w.Header().Set("Warning", `299 - "`+marker+`"`)
			w.WriteHeader(code)
			_, _ = w.Write([]byte("<p>" + marker + "</p>\n" + marker))
		}
	}
	raw := func(answer string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString(answer)
			_ = buf.Flush()
			_ = conn.Close()
		}
	}
	status := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"` + marker + `","reason":"Forbidden","details":{"name":"` + marker + `"},"code":403}`
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    LiveStatus
		detail  string
	}{
		{"500 with a text body", text(500, "text/plain"), LiveFailed, "answered 500 Internal Server Error (the server failed; the body and headers of its answer are not shown)"},
		{"403 with a text body", text(403, "text/plain; charset=utf-8"), LiveFailed, "answered 403 Forbidden (the credentials may not read /version"},
		{"401 with a text body", text(401, "text/plain"), LiveFailed, "answered 401 Unauthorized (the destination rejected the credentials)"},
		{"404 with an HTML body", text(404, "text/html"), LiveFailed, "answered 404 Not Found"},
		{"418 with a JSON body", text(418, "application/json"), LiveFailed, "answered 418 I'm a teapot (not what a Kubernetes API server answers"},
		{"a Status whose message is the server's", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(403)
			_, _ = w.Write([]byte(status))
		}, LiveFailed, "answered 403 Forbidden"},
		{"a reason phrase of its own", raw("HTTP/1.1 500 " + marker + "\r\nContent-Type: text/plain\r\nContent-Length: 18\r\n\r\n" + marker[:18]), LiveFailed, "answered 500 Internal Server Error"},
		{"not HTTP", raw("SSH-2.0-" + marker + "\r\n"), LiveFailed, "malformed HTTP response <redacted>"},
		{"a status code that is not one", raw("HTTP/1.1 " + marker + "\r\n\r\n"), LiveFailed, "malformed HTTP status code <redacted>"},
		{"a malformed header line", raw("HTTP/1.1 200 OK\r\n" + marker + "\r\n\r\n"), LiveFailed, "malformed MIME header: missing colon: <redacted>"},
		{"200 that is not JSON", text(200, "text/plain"), LiveFailed, "answered GET /version with something that is not a version"},
		{"200 with a Warning header and a version that is not one", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Warning", `299 - "`+marker+`"`)
			_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.2 ` + marker + `"}`))
		}, LivePassed, "answered <redacted> (a version string that does not look like a Kubernetes version)"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startHostile(t, ca, c.handler)
			spec := pairSpec{name: fmt.Sprintf("body-%d", i), server: srv.url, caPEM: ca.CertPEM, token: "body-token-" + strings.Repeat("4", 20)}
			r, outs := allOutputs(t, Options{Paths: []string{writePair(t, filepath.Join(t.TempDir(), spec.name), spec)}, Live: true})
			a := r.Pairs[0].Live[0]
			if a.Status != c.want || !strings.Contains(a.Detail, c.detail) {
				t.Errorf("API server check %+v, want %s with %q", a, c.want, c.detail)
			}
			if outs["stderr"] != "" {
				t.Errorf("stderr: %q", outs["stderr"])
			}
			assertNowhere(t, outs, marker, marker[:18], "teapot-body")
		})
	}
}
