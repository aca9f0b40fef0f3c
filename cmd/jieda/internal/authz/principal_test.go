package authz

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

func TestRequire(t *testing.T) {
	roles := []apikey.Role{apikey.RoleCustomer, apikey.RoleAgent, apikey.RoleEditor, apikey.RoleAdmin}
	for _, have := range roles {
		for _, need := range roles {
			p := &Principal{KeyID: "k1", Role: have}
			err := p.Require(need)
			if want := have >= need; (err == nil) != want {
				t.Errorf("%s key on a %s route: err = %v, want admitted %v", have, need, err, want)
			}
			if err != nil && !errors.Is(err, ErrForbidden) {
				t.Errorf("%s key on a %s route: err %v does not match ErrForbidden", have, need, err)
			}
		}
	}
	err := (&Principal{KeyID: "k1", Role: apikey.RoleAgent}).Require(apikey.RoleEditor)
	if got, want := err.Error(), "this route needs an editor key; key k1 is an agent key"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestScopes(t *testing.T) {
	scoped := &Principal{KeyID: "k2", Role: apikey.RoleEditor, KBs: []string{"a", "b"}}
	all := &Principal{KeyID: "k3", Role: apikey.RoleEditor}
	type got struct {
		MayUseC   bool
		UseC      bool
		ListNone  []string
		ListB     []string
		ListCErr  bool
		Visible   []string
		AllKBsErr bool
	}
	check := func(p *Principal) got {
		var g got
		g.MayUseC = p.MayUseKB("c")
		g.UseC = p.UseKB("c") == nil
		g.ListNone, _ = p.ListKBs("")
		g.ListB, _ = p.ListKBs("b")
		_, err := p.ListKBs("c")
		g.ListCErr = errors.Is(err, ErrForbidden)
		g.Visible = p.Visible([]string{"c", "b", "a"})
		g.AllKBsErr = errors.Is(p.RequireAllKBs("a backup"), ErrForbidden)
		return g
	}
	for _, tc := range []struct {
		name string
		p    *Principal
		want got
	}{
		{"scoped to a and b", scoped, got{ListNone: []string{"a", "b"}, ListB: []string{"b"}, ListCErr: true, Visible: []string{"b", "a"}, AllKBsErr: true}},
		{"every KB", all, got{MayUseC: true, UseC: true, ListB: []string{"b"}, Visible: []string{"c", "b", "a"}}},
	} {
		if diff := cmp.Diff(tc.want, check(tc.p)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
	if got, want := scoped.UseKB("c").Error(), `this key may not use knowledge base "c"`; got != want {
		t.Errorf("UseKB message %q, want %q", got, want)
	}
}
