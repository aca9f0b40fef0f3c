// Package egress guards jieda's outbound HTTP: handoff webhooks, help-desk
// callbacks and channel API calls go to URLs that editors and admins type
// in, so they must not be turned against the network jieda runs in.
//
// # Basics
//
// A [Policy] refuses destinations that resolve to loopback, link-local
// (169.254.0.0/16: cloud metadata), private (RFC 1918, fc00::/7),
// carrier-grade NAT, multicast or unspecified addresses, unless the
// operator allows a host name, address or CIDR (webhook.allow_hosts).
// [Policy.Client] returns an http.Client whose dialer checks the address
// it actually connects to, after DNS, so a name that resolves to a private
// address is refused too; it follows no redirects and uses no proxy.
// [Policy.CheckURL] refuses what can be seen without DNS (literal
// addresses, "localhost", non-http schemes) when a URL is configured.
package egress
