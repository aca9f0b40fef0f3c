package apikey

import "testing"

func TestRoleOrder(t *testing.T) {
	for _, tc := range []struct {
		have, need Role
		want       bool
	}{
		{RoleCustomer, RoleCustomer, true}, {RoleCustomer, RoleAgent, false}, {RoleCustomer, RoleAdmin, false},
		{RoleAgent, RoleCustomer, true}, {RoleAgent, RoleAgent, true}, {RoleAgent, RoleEditor, false},
		{RoleEditor, RoleAgent, true}, {RoleEditor, RoleAdmin, false},
		{RoleAdmin, RoleEditor, true}, {RoleAdmin, RoleAdmin, true},
	} {
		if got := tc.have.Allows(tc.need); got != tc.want {
			t.Errorf("%s allows %s: %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	for _, name := range []string{"customer", "agent", "editor", "admin"} {
		r, err := ParseRole(name)
		if err != nil || r.String() != name {
			t.Errorf("ParseRole(%q) = %v, %v", name, r, err)
		}
	}
	for _, bad := range []string{"", "Admin", "root", "role(0)"} {
		if _, err := ParseRole(bad); err == nil {
			t.Errorf("ParseRole(%q) should fail", bad)
		}
	}
}
