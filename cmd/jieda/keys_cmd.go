package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
	"github.com/jieda/jieda/curate"
	"github.com/jieda/jieda/index/embedded"
)

func (a *app) keysCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Create, list and revoke API keys (stored hashed in the store)",
		Long: "Create, list and revoke API keys. With the embedded engine these commands open the store\n" +
			"directly, so they cannot run while `jieda serve` holds it: stop the server, or use the\n" +
			"admin API (POST/GET/DELETE /v1/admin/keys) of the running server.",
	}
	c.AddCommand(a.keysCreateCommand(), a.keysListCommand(), a.keysRevokeCommand())
	return c
}

// withKeyStore loads the config, opens the store, runs f with the key
// store and the audit log over it, and closes the store.
func (a *app) withKeyStore(cmd *cobra.Command, f func(ctx context.Context, keys *apikey.Store, audit *curate.Audit) error) (err error) {
	if err := a.load(cmd, nil); err != nil {
		return err
	}
	ctx := cmd.Context()
	s, err := a.openStore(ctx, a.cfg.Store.Engine)
	if errors.Is(err, embedded.ErrLocked) {
		return fmt.Errorf("%w\n(a running `jieda serve` holds the embedded store: stop it, or manage keys through its /v1/admin/keys API)", err)
	}
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	audit, err := curate.NewAudit(ctx, s)
	if err != nil {
		return err
	}
	return f(ctx, apikey.NewStore(s), audit)
}

// cliActor names the command line in the audit log.
const cliActor = "cli"

func (a *app) keysCreateCommand() *cobra.Command {
	var roleName, name string
	var kbs, origins []string
	var trusted bool
	cmd := &cobra.Command{
		Use:   "create --role ROLE [--kb NAME]... [--name LABEL] [--origin URL]... [--trusted]",
		Short: "Create an API key and print it once, alone on the last line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := apikey.ParseRole(roleName)
			if err != nil {
				return fmt.Errorf("--role: %w", err)
			}
			return a.withKeyStore(cmd, func(ctx context.Context, keys *apikey.Store, audit *curate.Audit) error {
				key, k, err := keys.CreateKey(ctx, apikey.Spec{Role: r, KBs: kbs, Name: name, Origins: origins, Trusted: trusted}, time.Now())
				if err != nil {
					return err
				}
				if _, err := audit.Record(ctx, curate.AuditEntry{Actor: cliActor, Role: "admin", Action: "key.create", Target: k.ID}); err != nil {
					return err
				}
				scope := "every KB"
				if len(k.KBs) > 0 {
					scope = "KBs " + strings.Join(k.KBs, ", ")
				}
				fmt.Fprintf(a.stdout, "created %s key %s (%s)", k.Role, k.ID, scope)
				if k.Name != "" {
					fmt.Fprintf(a.stdout, " named %q", k.Name)
				}
				if len(k.Origins) > 0 {
					fmt.Fprintf(a.stdout, " for origins %s", strings.Join(k.Origins, ", "))
				}
				fmt.Fprintln(a.stdout)
				fmt.Fprintln(a.stdout, "the key follows; it is shown only this once, store it now:")
				fmt.Fprintln(a.stdout, key)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&roleName, "role", "", "customer, agent, editor, admin or widget (required)")
	cmd.Flags().StringArrayVar(&origins, "origin", nil, "a widget key's allowed web origin, like https://shop.example (repeat for several; widget keys only)")
	cmd.Flags().StringArrayVar(&kbs, "kb", nil, "limit the key to this KB (repeat for several; default every KB)")
	cmd.Flags().StringVar(&name, "name", "", "a label for people (who or what uses the key; one line, at most 100 characters)")
	cmd.Flags().BoolVar(&trusted, "trusted", false, "an integration that may vouch for customers' tiers (other keys' tiers are ignored)")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func (a *app) keysListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List API keys (ids, roles, scopes; never secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withKeyStore(cmd, func(ctx context.Context, store *apikey.Store, _ *curate.Audit) error {
				keys, err := store.List(ctx)
				if err != nil {
					return err
				}
				if len(keys) == 0 {
					fmt.Fprintln(a.stdout, "no API keys; create one with `jieda keys create --role ROLE`")
					return nil
				}
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tKBS\tNAME\tCREATED\tSTATUS")
				for _, k := range keys {
					scope := "*"
					if len(k.KBs) > 0 {
						scope = strings.Join(k.KBs, ",")
					}
					status := "active"
					if k.Revoked() {
						status = "revoked " + k.RevokedAt.Local().Format(time.DateTime)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Role, scope, apikey.SafeName(k.Name), k.CreatedAt.Local().Format(time.DateTime), status)
				}
				return tw.Flush()
			})
		},
	}
}

func (a *app) keysRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key (a running server honours it within its key cache TTL, 30s)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if kid, _, ok := apikey.Parse(id); ok { // the whole key works too
				id = kid
			}
			if !apikey.ValidID(id) {
				return fmt.Errorf("%q is not a key id: ids are the %d characters after %q (see `jieda keys list`)", args[0], apikey.IDLen, apikey.Prefix)
			}
			return a.withKeyStore(cmd, func(ctx context.Context, keys *apikey.Store, audit *curate.Audit) error {
				k, changed, err := keys.Revoke(ctx, id, time.Now())
				if err != nil {
					return err
				}
				if changed {
					if _, err := audit.Record(ctx, curate.AuditEntry{Actor: cliActor, Role: "admin", Action: "key.revoke", Target: k.ID}); err != nil {
						return err
					}
				}
				if !changed {
					fmt.Fprintf(a.stdout, "key %s was already revoked at %s\n", k.ID, k.RevokedAt.Local().Format(time.DateTime))
					return nil
				}
				fmt.Fprintf(a.stdout, "revoked %s key %s\n", k.Role, k.ID)
				return nil
			})
		},
	}
}
