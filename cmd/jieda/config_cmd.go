package main

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

func (a *app) configCommand() *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Inspect configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective config (defaults < file < JIEDA_* env < flags), secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.load(cmd, nil); err != nil {
				return err
			}
			out, err := renderConfig(a.cfg)
			if err != nil {
				return err
			}
			source := "none (defaults and environment)"
			if a.cfgFile != "" {
				source = a.cfgFile
			}
			fmt.Fprintf(a.stdout, "# config file: %s\n%s", source, out)
			return nil
		},
	})
	return c
}

// renderConfig prints the config as YAML with secrets redacted and
// durations in Go's notation.
func renderConfig(c Config) (string, error) {
	flat := flatten(c)
	tree := map[string]any{}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := flat[k]
		switch x := v.(type) {
		case fmt.Stringer:
			// Secret types of every package print as [redacted].
			if x.String() == "[redacted]" {
				v = ""
				if reflect.ValueOf(x).String() != "" {
					v = "[redacted]"
				}
			}
		}
		if d, ok := v.(time.Duration); ok {
			v = d.String()
		}
		if reflect.ValueOf(v).Kind() == reflect.String {
			v = fmt.Sprint(v)
		}
		node := tree
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := node[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[p] = next
			}
			node = next
		}
		node[parts[len(parts)-1]] = v
	}
	b, err := yaml.Marshal(tree)
	return string(b), err
}
