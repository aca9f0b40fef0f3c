// Package authz is the one authorization path of jieda's HTTP surfaces:
// the principal a request acts as (an API key's id, role and knowledge
// base scopes) and the checks on it. The JSON API (httpapi) and the
// browser console both authenticate a key into a Principal and ask it
// the same questions (Require, UseKB, MayUseKB, ListKBs, RequireAllKBs);
// neither keeps a role or scope rule of its own.
//
// # Basics
//
// Roles are ordered (apikey.Role.Allows): a route that needs agent admits
// agent, editor and admin keys. A key scoped to some KBs may act only on
// those; an unscoped key on every KB.
//
// # Caveats
//
// Refusals are errors matching ErrForbidden whose text is meant for the
// client; authentication failures match ErrInvalidKey or ErrRevokedKey.
package authz
