package diag

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is the one place where text that may carry a secret is made safe
// to print. Every package that prints a URL, a parser's message or a list of
// names from a decrypted file goes through these helpers; none has its own.

// InvalidURL is what RedactURL prints for a string that is not an absolute
// URL with a host.
const InvalidURL = "(invalid URL)"

// Redacted replaces a fragment that was removed from a message.
const Redacted = "<redacted>"

// RedactURL returns only the scheme, host and port of a URL: userinfo (a
// password), path, query (?access_token=...) and fragment are dropped, since
// any of them may carry a credential. IPv6 hosts keep their brackets. A
// string that does not parse as an absolute URL with a host gives
// InvalidURL, never the string itself.
func RedactURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return InvalidURL
	}
	return u.Scheme + "://" + u.Host
}

// urlInText matches what looks like an absolute URL inside a longer text,
// up to the next space or quote.
var urlInText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'` + "`" + `<>]+`)

// RedactURLsIn applies RedactURL to every URL inside text, such as the
// message of a *url.Error (`Get "https://host/version?token=..."`), keeping
// the rest of the text.
func RedactURLsIn(text string) string {
	return urlInText.ReplaceAllStringFunc(text, func(u string) string {
		// A URL at the end of a sentence or in parentheses keeps its punctuation outside.
		trimmed := strings.TrimRight(u, ".,;:)")
		trail := u[len(trimmed):]
		u = trimmed
		return RedactURL(u) + trail
	})
}

// quotedFragment matches the fragments a parser quotes: "double" (with
// escapes), `back` and 'single'.
var quotedFragment = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`|'[^']*'")

// ScrubQuoted replaces every quoted fragment of a parser's message with
// Redacted: YAML, JSON and clientcmd errors quote pieces of their input,
// which may be decrypted content. A quoted single punctuation character, as
// in YAML's "did not find expected ',' or '}'", is kept: it says what is
// wrong and reveals nothing.
func ScrubQuoted(msg string) string {
	return quotedFragment.ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		if r, size := utf8.DecodeRuneInString(inner); size == len(inner) && size > 0 && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			return q
		}
		return Redacted
	})
}

// ScrubParserError makes the message of an error from parsing a decrypted
// file (clientcmd.Load, YAML, JSON) safe to print: clientcmd's duplicate-name
// errors dump the whole list after " in list: " (tokens and keys included),
// YAML's invalid-map-key errors print the key, and every parser quotes
// fragments of its input; URLs keep only scheme, host and port.
func ScrubParserError(err error) string {
	msg := err.Error()
	for _, cut := range []string{" in list: ", "invalid map key: "} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = msg[:i+len(strings.TrimRight(cut, ": "))]
		}
	}
	return RedactURLsIn(ScrubQuoted(msg))
}

// ScrubHTTPError makes the error of an HTTP request to a server that is
// not trusted safe to print: a *url.Error keeps its method and the URL's
// scheme, host and port, and every quoted fragment of the cause is dropped
// (net/http and net/textproto quote what they could not parse of the
// answer: a malformed status line or header line, an HTTP/2 GOAWAY's debug
// data). The body of an answer is never part of it; see HTTPStatus.
func ScrubHTTPError(err error) string {
	var u *url.Error
	if errors.As(err, &u) {
		return fmt.Sprintf("%s %q: %s", u.Op, RedactURL(u.URL), ScrubQuoted(RedactURLsIn(u.Err.Error())))
	}
	return ScrubQuoted(RedactURLsIn(err.Error()))
}

// HTTPStatus is how an HTTP answer is shown when its body, headers and
// reason phrase (all the server's text) may not be: the code and the
// standard text for it ("500 Internal Server Error").
func HTTPStatus(code int) string {
	if text := http.StatusText(code); text != "" {
		return fmt.Sprintf("%d %s", code, text)
	}
	return fmt.Sprintf("%d", code)
}

// maxNames bounds the names QuotedNames lists.
const maxNames = 20

// QuotedNames lists the keys of m (context, cluster or user names of a
// kubeconfig: names, not values), quoted and sorted, at most 20 of them
// with the total; none is returned for an empty map.
func QuotedNames[T any](m map[string]T, none string) string {
	if len(m) == 0 {
		return none
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, fmt.Sprintf("%q", k))
	}
	sort.Strings(keys)
	if len(keys) > maxNames {
		keys = append(keys[:maxNames], fmt.Sprintf("... (%d in all)", len(m)))
	}
	return strings.Join(keys, ", ")
}

// QuoteURL shows a URL someone typed (a request field, a flag) in a message
// about it: quoted as written when it cannot carry a credential, and through
// RedactURL when it has userinfo, a query or a fragment (or anything that
// looks like one: '@', '?', '#').
func QuoteURL(s string) string {
	if strings.ContainsAny(s, "@?#") {
		return RedactURL(s)
	}
	return fmt.Sprintf("%q", s)
}
