package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// ErrForbidden reports a destination the policy refuses.
var ErrForbidden = errors.New("forbidden destination")

// Policy says which destinations outbound requests may reach.
type Policy struct {
	hosts    map[string]bool // allowed host names, lower case
	prefixes []netip.Prefix  // allowed addresses
	resolver *net.Resolver
}

// New builds a policy from allow entries: host names ("desk.internal"),
// addresses ("10.0.0.7") and CIDRs ("10.0.0.0/8"). A bad entry is an error.
func New(allow []string) (*Policy, error) {
	p := &Policy{hosts: map[string]bool{}, resolver: net.DefaultResolver}
	for _, a := range allow {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
			continue
		case strings.Contains(a, "/"):
			pre, err := netip.ParsePrefix(a)
			if err != nil {
				return nil, fmt.Errorf("allow_hosts: %q is not a CIDR: %w", a, err)
			}
			p.prefixes = append(p.prefixes, pre.Masked())
		default:
			if ip, err := netip.ParseAddr(strings.Trim(a, "[]")); err == nil {
				p.prefixes = append(p.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				continue
			}
			if strings.ContainsAny(a, " :@") {
				return nil, fmt.Errorf("allow_hosts: %q is neither a host name, an address nor a CIDR", a)
			}
			p.hosts[strings.ToLower(strings.TrimSuffix(a, "."))] = true
		}
	}
	return p, nil
}

// cgnat is the carrier-grade NAT range (RFC 6598), private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Internal reports whether ip is not on the public internet.
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() ||
		ip.IsUnspecified() || cgnat.Contains(ip) || ip.Is4() && ip.As4()[0] == 0
}

func (p *Policy) allowedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !Internal(ip) {
		return true
	}
	for _, pre := range p.prefixes {
		if pre.Contains(ip) {
			return true
		}
	}
	return false
}

func (p *Policy) allowedHost(host string) bool {
	return p.hosts[strings.ToLower(strings.TrimSuffix(host, "."))]
}

// CheckURL refuses a URL that is not absolute http(s), or whose host is
// an internal address or "localhost" the policy does not allow. Names are
// checked again, after DNS, when a request is made.
func (p *Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrForbidden, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%w: %q carries credentials in the URL", ErrForbidden, raw)
	}
	host := u.Hostname()
	if p.allowedHost(host) {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if !p.allowedAddr(ip) {
			return fmt.Errorf("%w: %s is an internal address (loopback, link-local, private or multicast); an operator may allow it in webhook.allow_hosts", ErrForbidden, host)
		}
		return nil
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("%w: %s is this machine; an operator may allow it in webhook.allow_hosts", ErrForbidden, host)
	}
	return nil
}

// DialContext connects to addr only when the address it resolves to is
// allowed; it tries the allowed addresses in turn.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if p.allowedHost(host) {
		return d.DialContext(ctx, network, addr)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = p.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		if !p.allowedAddr(ip) {
			errs = append(errs, fmt.Errorf("%w: %s resolves to the internal address %s", ErrForbidden, host, ip))
			continue
		}
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%s: no address", host)
	}
	return nil, errors.Join(errs...)
}

// Client returns an HTTP client whose connections obey the policy, with
// the given overall timeout; it follows no redirects and uses no proxy
// (either would reach a destination nobody checked).
func (p *Policy) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           p.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          32,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
