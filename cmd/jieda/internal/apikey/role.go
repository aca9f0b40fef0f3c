package apikey

import (
	"fmt"
	"slices"
	"strconv"
)

// Role is what a key may do. Roles are ordered: admin implies editor
// implies agent implies customer-route access. A customer key reaches
// only the customer routes (ask, feedback, whoami); a staff key may call
// those too (an agent can try /v1/ask).
//
// RoleWidget stands outside that order: a widget key is published in a
// shop's web pages, so it allows only routes that admit widgets by name
// (ask and feedback, from an origin the key lists) and no other role's.
type Role int

// Roles, lowest first.
const (
	RoleCustomer Role = iota + 1
	RoleAgent
	RoleEditor
	RoleAdmin
	// RoleWidget is the web widget's role (see Role).
	RoleWidget
)

var roleNames = []string{RoleCustomer: "customer", RoleAgent: "agent", RoleEditor: "editor", RoleAdmin: "admin", RoleWidget: "widget"}

func (r Role) String() string {
	if r < RoleCustomer || r > RoleWidget {
		return "role(" + strconv.Itoa(int(r)) + ")"
	}
	return roleNames[r]
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	if i := slices.Index(roleNames, s); i > 0 {
		return Role(i), nil
	}
	return 0, fmt.Errorf("%w: role %q must be customer, agent, editor, admin or widget", ErrInvalid, s)
}

// Allows reports whether a key with role r may use a route that needs
// need: a higher or equal role in the order, or, for widgets, RoleWidget
// itself.
func (r Role) Allows(need Role) bool {
	if r == RoleWidget || need == RoleWidget {
		return r == need
	}
	return r >= need
}
