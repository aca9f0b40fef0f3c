package apikey

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// MaxOrigins bounds the origins of one widget key.
const MaxOrigins = 32

// NormalizeOrigin reads a web origin as a browser sends it in the Origin
// header: scheme "http" or "https", a host, an optional port, nothing
// else. It lowercases the scheme and host and drops the scheme's default
// port, so "HTTPS://Shop.Example:443" and "https://shop.example" are the
// same origin.
func NormalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", fmt.Errorf("%w: origin %q: %w", ErrInvalid, s, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return "", fmt.Errorf("%w: origin %q must start with https:// or http://", ErrInvalid, s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%w: origin %q has no host", ErrInvalid, s)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", fmt.Errorf("%w: origin %q must be only scheme://host[:port], without a path, query or user", ErrInvalid, s)
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal
	}
	defaultPort := map[string]string{"http": "80", "https": "443"}[scheme]
	if p := u.Port(); p != "" && p != defaultPort {
		host += ":" + p
	}
	return scheme + "://" + host, nil
}

// NormalizeOrigins normalizes, deduplicates and sorts origins (nil for none).
func NormalizeOrigins(origins []string) ([]string, error) {
	if len(origins) == 0 {
		return nil, nil
	}
	if len(origins) > MaxOrigins {
		return nil, fmt.Errorf("%w: %d origins, at most %d", ErrInvalid, len(origins), MaxOrigins)
	}
	out := make([]string, 0, len(origins))
	for _, o := range origins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// AllowsOrigin reports whether a widget key lists origin (an Origin
// header value; compared after normalization).
func (k Key) AllowsOrigin(origin string) bool {
	n, err := NormalizeOrigin(origin)
	return err == nil && slices.Contains(k.Origins, n)
}
