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
type Role int

// Roles, lowest first.
const (
	RoleCustomer Role = iota + 1
	RoleAgent
	RoleEditor
	RoleAdmin
)

var roleNames = []string{RoleCustomer: "customer", RoleAgent: "agent", RoleEditor: "editor", RoleAdmin: "admin"}

func (r Role) String() string {
	if r < RoleCustomer || r > RoleAdmin {
		return "role(" + strconv.Itoa(int(r)) + ")"
	}
	return roleNames[r]
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	if i := slices.Index(roleNames, s); i > 0 {
		return Role(i), nil
	}
	return 0, fmt.Errorf("%w: role %q must be customer, agent, editor or admin", ErrInvalid, s)
}

// Allows reports whether a key with role r may use a route that needs need.
func (r Role) Allows(need Role) bool { return r >= need }
