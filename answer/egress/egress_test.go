package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestInternal(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "169.254.169.254": true, "10.1.2.3": true, "172.16.0.1": true,
		"192.168.1.1": true, "100.64.0.1": true, "0.0.0.0": true, "224.0.0.1": true, "fe80::1": true,
		"fd00::1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "ff02::1": true,
		"8.8.8.8": false, "1.1.1.1": false, "2606:4700::1111": false, "203.0.114.1": false,
	} {
		if got := Internal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Internal(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	p, err := New([]string{"desk.internal", "10.9.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	for raw, ok := range map[string]bool{
		"https://hooks.example.com/jieda":          true,
		"http://desk.internal:8080/x":              true,
		"http://10.9.3.4/hook":                     true,
		"http://169.254.169.254/latest/meta-data/": false,
		"http://127.0.0.1:9000/":                   false,
		"http://[::1]/":                            false,
		"http://localhost/":                        false,
		"http://api.localhost/":                    false,
		"http://10.8.0.1/":                         false,
		"http://[::ffff:169.254.169.254]/":         false,
		"ftp://hooks.example.com/":                 false,
		"https://user:pw@hooks.example.com/":       false,
		"/relative":                                false,
		"http://0x7f000001/":                       true, // not an address Go parses: checked after DNS instead
	} {
		err := p.CheckURL(raw)
		if (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v, want ok=%v", raw, err, ok)
		}
		if err != nil && !errors.Is(err, ErrForbidden) {
			t.Errorf("CheckURL(%q) = %v, want ErrForbidden", raw, err)
		}
	}
	for _, bad := range [][]string{{"10.0.0.0/33"}, {"a b"}, {"user@host"}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%q) accepted", bad)
		}
	}
}

// The client refuses, at dial time, a loopback server unless allowed, and
// a name that resolves to an internal address.
func TestClientDialCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	deny, _ := New(nil)
	if _, err := deny.Client(5 * time.Second).Get(srv.URL); !errors.Is(err, ErrForbidden) {
		t.Errorf("loopback without allow: %v, want ErrForbidden", err)
	}
	// A name whose DNS answer is internal.
	deny.resolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return nil, errors.New("no DNS in tests")
	}}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if _, err := deny.Client(5 * time.Second).Get("http://localhost:" + port); err == nil {
		t.Error("a name without an allowed address was reached")
	}
	allow, _ := New([]string{"127.0.0.0/8"})
	resp, err := allow.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed loopback: %v", err)
	}
	resp.Body.Close()
	byName, _ := New([]string{"localhost"})
	resp, err = byName.Client(5 * time.Second).Get("http://localhost:" + port)
	if err != nil {
		t.Fatalf("allowed host name: %v", err)
	}
	resp.Body.Close()
}
