package apikey

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{in: "https://shop.example", want: "https://shop.example"},
		{in: "HTTPS://Shop.Example:443", want: "https://shop.example"},
		{in: "http://127.0.0.1:8080/", want: "http://127.0.0.1:8080"},
		{in: "http://shop.example:80", want: "http://shop.example"},
		{in: "https://shop.example:8443", want: "https://shop.example:8443"},
		{in: "http://[::1]:3000", want: "http://[::1]:3000"},
		{in: "  https://商店.example  ", want: "https://商店.example"},
		{in: "shop.example", bad: true},
		{in: "ftp://shop.example", bad: true},
		{in: "https://shop.example/cart", bad: true},
		{in: "https://shop.example?x=1", bad: true},
		{in: "https://user@shop.example", bad: true},
		{in: "https://", bad: true},
		{in: "null", bad: true},
		{in: "", bad: true},
	} {
		got, err := NormalizeOrigin(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Errorf("NormalizeOrigin(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeOrigin(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestWidgetRole(t *testing.T) {
	for _, tc := range []struct {
		have, need Role
		want       bool
	}{
		{RoleWidget, RoleWidget, true},
		{RoleWidget, RoleCustomer, false},
		{RoleWidget, RoleAdmin, false},
		{RoleCustomer, RoleWidget, false},
		{RoleAdmin, RoleWidget, false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.want {
			t.Errorf("%s allows %s: %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	if r, err := ParseRole("widget"); err != nil || r != RoleWidget || r.String() != "widget" {
		t.Errorf("ParseRole(widget) = %v, %v", r, err)
	}
}

func TestCreateWidgetKey(t *testing.T) {
	st, _ := testStore(t)
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	key, k, err := st.CreateKey(ctx, Spec{Role: RoleWidget, KBs: []string{"shop"}, Name: "site",
		Origins: []string{"https://Shop.Example", "https://shop.example:443", "http://127.0.0.1:5173"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"http://127.0.0.1:5173", "https://shop.example"}, k.Origins); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	id, _, _ := Parse(key)
	back, found, err := st.Lookup(ctx, id)
	if err != nil || !found {
		t.Fatalf("lookup: %v %v", found, err)
	}
	if diff := cmp.Diff(k.Origins, back.Origins); diff != "" || back.Role != RoleWidget {
		t.Errorf("stored key: role %s, origins (-want +got):\n%s", back.Role, diff)
	}
	for origin, want := range map[string]bool{
		"https://shop.example": true, "https://SHOP.example:443": true, "http://127.0.0.1:5173": true,
		"https://evil.example": false, "http://shop.example": false, "": false, "null": false,
	} {
		if got := back.AllowsOrigin(origin); got != want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
	for name, spec := range map[string]Spec{
		"widget without origins":   {Role: RoleWidget, KBs: []string{"shop"}},
		"widget for every KB":      {Role: RoleWidget, Origins: []string{"https://shop.example"}},
		"widget with a bad origin": {Role: RoleWidget, KBs: []string{"shop"}, Origins: []string{"https://shop.example/x"}},
		"customer with origins":    {Role: RoleCustomer, Origins: []string{"https://shop.example"}},
	} {
		if _, _, err := st.CreateKey(ctx, spec, now); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
