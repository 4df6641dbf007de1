package diag

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"host and port kept", "https://dr.example.com:6443", "https://dr.example.com:6443"},
		{"query token dropped", "https://dr.example.com:6443/?access_token=SECRETQUERY", "https://dr.example.com:6443"},
		{"userinfo dropped", "https://admin:SECRETPASS@dr.example.com", "https://dr.example.com"},
		{"user without password dropped", "https://SECRETUSER@dr.example.com", "https://dr.example.com"},
		{"path dropped", "https://dr.example.com/k8s/clusters/SECRETPATH", "https://dr.example.com"},
		{"fragment dropped", "https://dr.example.com#SECRETFRAG", "https://dr.example.com"},
		{"everything at once", "https://u:SECRETPASS@h:1/SECRETPATH?SECRETQUERY=1#SECRETFRAG", "https://h:1"},
		{"IPv6 host keeps brackets", "https://[fd00::1]:6443/x?token=SECRETQUERY", "https://[fd00::1]:6443"},
		{"IPv6 host without port", "https://[::1]", "https://[::1]"},
		{"socks proxy", "socks5://u:SECRETPASS@proxy:1080", "socks5://proxy:1080"},
		{"surrounding space trimmed", "  https://h:1  ", "https://h:1"},
		{"unparsable", "https://h:1/%zzSECRET", InvalidURL},
		{"bad port", "https://h:SECRETPORT", InvalidURL},
		{"no scheme", "dr.example.com:6443/SECRET", InvalidURL},
		{"relative", "/just/a/SECRETPATH", InvalidURL},
		{"opaque", "mailto:SECRET@example.com", InvalidURL},
		{"no host", "https:///SECRETPATH", InvalidURL},
		{"empty", "", InvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactURL(tt.in)
			if got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "SECRET") {
				t.Errorf("RedactURL(%q) = %q reveals a secret", tt.in, got)
			}
		})
	}
}

func TestRedactURLsIn(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "https://h:6443/version?access_token=SECRET&timeout=10s": dial tcp 127.0.0.1:6443: connect: connection refused`,
			`Get "https://h:6443": dial tcp 127.0.0.1:6443: connect: connection refused`},
		{"server https://u:SECRET@h/x. Next", "server https://h. Next"},
		{"(see https://h:1/SECRET)", "(see https://h:1)"},
		{"at https://[::1]:8443/SECRET, then", "at https://[::1]:8443, then"},
		{"proxy socks5://u:SECRET@p:1080 failed", "proxy socks5://p:1080 failed"},
		{"no url here: host:port", "no url here: host:port"},
	}
	for _, tt := range tests {
		if got := RedactURLsIn(tt.in); got != tt.want {
			t.Errorf("RedactURLsIn(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubParserError(t *testing.T) {
	tests := []struct{ in, want string }{
		{`error converting *[]NamedAuthInfo into *map[string]*api.AuthInfo: duplicate name "u" in list: [{u {SECRET}}]`,
			`error converting *[]NamedAuthInfo into *map[string]*api.AuthInfo: duplicate name <redacted> in list`},
		{`yaml: invalid map key: map[interface {}]interface {}{"SECRET":12}`, `yaml: invalid map key`},
		{"yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `SECRET` into int",
			"yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str <redacted> into int"},
		{`no kind "x\"SECRET" is registered for version "v1"`, `no kind <redacted> is registered for version <redacted>`},
		{`yaml: line 3: found character 'SECRET' that cannot start`, `yaml: line 3: found character <redacted> that cannot start`},
		{`yaml: line 2: did not find expected ',' or '}'`, `yaml: line 2: did not find expected ',' or '}'`},
		{`parse https://h/SECRET: invalid`, `parse https://h: invalid`},
		{"yaml: line 2: mapping values are not allowed in this context", "yaml: line 2: mapping values are not allowed in this context"},
	}
	for _, tt := range tests {
		got := ScrubParserError(errors.New(tt.in))
		if got != tt.want {
			t.Errorf("ScrubParserError(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("ScrubParserError(%q) = %q reveals a secret", tt.in, got)
		}
	}
}

func TestScrubHTTPError(t *testing.T) {
	urlErr := func(inner string) error {
		return &url.Error{Op: "Get", URL: "https://u:SECRET@h:6443/version?access_token=SECRET", Err: errors.New(inner)}
	}
	tests := []struct {
		in   error
		want string
	}{
		{urlErr("dial tcp 127.0.0.1:6443: connect: connection refused"), `Get "https://h:6443": dial tcp 127.0.0.1:6443: connect: connection refused`},
		{urlErr(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-SECRET"`), `Get "https://h:6443": net/http: HTTP/1.x transport connection broken: malformed HTTP response <redacted>`},
		{urlErr(`net/http: HTTP/1.x transport connection broken: malformed MIME header line: "SECRET"`), `Get "https://h:6443": net/http: HTTP/1.x transport connection broken: malformed MIME header line: <redacted>`},
		{urlErr(`http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug="SECRET"`), `Get "https://h:6443": http2: server sent GOAWAY and closed the connection; LastStreamID=1, ErrCode=NO_ERROR, debug=<redacted>`},
		{urlErr(`proxyconnect tcp: dial tcp: lookup socks5://u:SECRET@proxy:1080`), `Get "https://h:6443": proxyconnect tcp: dial tcp: lookup socks5://proxy:1080`},
		{fmt.Errorf("wrapped: %w", urlErr("EOF")), `Get "https://h:6443": EOF`},
		{errors.New(`stream error: "SECRET" at https://h:1/SECRET`), `stream error: <redacted> at https://h:1`},
	}
	for _, tt := range tests {
		got := ScrubHTTPError(tt.in)
		if got != tt.want {
			t.Errorf("ScrubHTTPError(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("ScrubHTTPError(%q) = %q reveals what the server sent", tt.in, got)
		}
	}
}

func TestHTTPStatus(t *testing.T) {
	for code, want := range map[int]string{500: "500 Internal Server Error", 302: "302 Found", 401: "401 Unauthorized", 599: "599"} {
		if got := HTTPStatus(code); got != want {
			t.Errorf("HTTPStatus(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestQuotedNames(t *testing.T) {
	many := map[string]int{}
	for _, c := range "abcdefghijklmnopqrstuvwxy" {
		many[string(c)] = 0
	}
	tests := []struct {
		in   map[string]int
		want string
	}{
		{nil, "(none)"},
		{map[string]int{"b": 0, "a": 0}, `"a", "b"`},
		{many, `"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", ... (25 in all)`},
	}
	for _, tt := range tests {
		if got := QuotedNames(tt.in, "(none)"); got != tt.want {
			t.Errorf("QuotedNames(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
