// Package clean makes outside text safe to show: URLs without their
// secrets, for reports and messages, and names from dumps and profiles
// without control characters, for a terminal.
package clean

import (
	"net/url"
	"strings"
	"unicode"
)

// secretKeys are query parameters whose values are redacted: substrings
// of the key, lower-cased.
var secretKeys = []string{"token", "key", "secret", "password", "passwd", "pwd", "auth", "sig", "session", "credential", "cookie"}

// Redacted is what a secret is shown as.
const Redacted = "REDACTED"

// URL is rawURL with its password and secret-looking query values
// replaced by REDACTED ("http://user:REDACTED@host/x?api_key=REDACTED&n=1").
// Text that does not parse as a URL is redacted by hand alike: what lies
// between "://" and an "@" before the path, and the values of secret keys
// after "?".
func URL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return byHand(rawURL)
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), Redacted)
		changed = true
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k, vs := range q {
			if secret(k) {
				for i := range vs {
					vs[i] = Redacted
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if !changed {
		return rawURL
	}
	// Keep REDACTED readable rather than percent-encoded.
	return strings.ReplaceAll(u.String(), "%21", "!")
}

func byHand(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			user, _, _ := strings.Cut(rest[:at], ":")
			s = s[:i+3] + user + ":" + Redacted + rest[at:]
		}
	}
	path, query, ok := strings.Cut(s, "?")
	if !ok {
		return s
	}
	params := strings.Split(query, "&")
	for i, p := range params {
		if k, _, ok := strings.Cut(p, "="); ok && secret(k) {
			params[i] = k + "=" + Redacted
		}
	}
	return path + "?" + strings.Join(params, "&")
}

func secret(key string) bool {
	k := strings.ToLower(key)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// Terminal replaces the control characters of s but newline and tab (an
// escape sequence in a class name would set a terminal's title or clear
// its screen) with their Go escape, \x1b and the like, and invalid UTF-8
// with U+FFFD.
func Terminal(s string) string {
	if !needs(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		case r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r):
			// Line separators and bidirectional overrides reorder or
			// break what a reader sees.
			b.WriteString(`\u`)
			for _, sh := range []uint{12, 8, 4, 0} {
				b.WriteByte("0123456789abcdef"[(r>>sh)&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func needs(s string) bool {
	for _, r := range s {
		if r == '\n' || r == '\t' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\uFFFD' || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			return true
		}
	}
	return false
}
