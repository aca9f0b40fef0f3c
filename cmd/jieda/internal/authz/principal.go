package authz

import (
	"slices"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// Principal is who a request acts as.
type Principal struct {
	KeyID string
	Role  apikey.Role
	KBs   []string // empty: every KB
	Name  string
	// Origins are a widget key's allowed web origins.
	Origins []string
	// Trusted keys may vouch for a customer's tier.
	Trusted bool
}

// MayUseKB reports whether the principal's scopes admit kb.
func (p *Principal) MayUseKB(kb string) bool {
	return len(p.KBs) == 0 || slices.Contains(p.KBs, kb)
}

// Require refuses (ErrForbidden) a principal whose role is below need.
func (p *Principal) Require(need apikey.Role) error {
	if p.Role.Allows(need) {
		return nil
	}
	return deny("this route needs a%s %s key; key %s is a%s %s key", article(need), need, p.KeyID, article(p.Role), p.Role)
}

// UseKB refuses (ErrForbidden) a principal scoped to other KBs than kb.
func (p *Principal) UseKB(kb string) error {
	if p.MayUseKB(kb) {
		return nil
	}
	return deny("this key may not use knowledge base %q", kb)
}

// RequireAllKBs refuses (ErrForbidden) a principal scoped to some KBs for
// what reaches every KB (backups, key management: a scoped key could
// otherwise read other KBs or mint an unscoped key).
func (p *Principal) RequireAllKBs(what string) error {
	if len(p.KBs) == 0 {
		return nil
	}
	return deny("%s needs a key valid for every KB", what)
}

// ListKBs is the KBs a listing may show: kb alone when set (after
// UseKB), else the principal's scopes (nil: every KB).
func (p *Principal) ListKBs(kb string) ([]string, error) {
	if kb != "" {
		if err := p.UseKB(kb); err != nil {
			return nil, err
		}
		return []string{kb}, nil
	}
	return p.KBs, nil
}

// Visible keeps the KBs of kbs the principal may use, in order.
func (p *Principal) Visible(kbs []string) []string {
	out := []string{}
	for _, kb := range kbs {
		if p.MayUseKB(kb) {
			out = append(out, kb)
		}
	}
	return out
}

func article(r apikey.Role) string {
	if r == apikey.RoleAgent || r == apikey.RoleEditor || r == apikey.RoleAdmin {
		return "n"
	}
	return ""
}
