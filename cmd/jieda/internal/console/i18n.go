package console

import (
	"embed"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/text/language"
)

//go:embed i18n/*.json
var catalogFS embed.FS

// langs are the console's languages, the default first.
var langs = []language.Tag{language.SimplifiedChinese, language.English}

// langNames are the catalog file names (and lang attributes) of langs.
var langNames = []string{"zh-CN", "en"}

var langMatcher = language.NewMatcher(langs)

// catalog is one language's strings: catalog key → fmt format.
type catalog struct {
	Lang string
	msgs map[string]string
}

// T is the string of key with args filled in. A key the catalog lacks
// shows as ⟦key⟧ (the catalog tests keep that from happening).
func (c *catalog) T(key string, args ...any) string {
	f, ok := c.msgs[key]
	if !ok {
		return "⟦" + key + "⟧"
	}
	if len(args) == 0 || !strings.Contains(f, "%") {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// Has reports whether the catalog has key (optional strings: reason and
// role names a newer server may add).
func (c *catalog) Has(key string) bool { _, ok := c.msgs[key]; return ok }

// loadCatalogs reads every language's catalog.
func loadCatalogs() (map[string]*catalog, error) {
	out := map[string]*catalog{}
	for _, name := range langNames {
		raw, err := catalogFS.ReadFile("i18n/" + name + ".json")
		if err != nil {
			return nil, err
		}
		c := &catalog{Lang: name}
		if err := json.Unmarshal(raw, &c.msgs); err != nil {
			return nil, fmt.Errorf("catalog %s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

// pickLang is the language of a request: a supported ?lang= or cookie
// value first, else the best match of Accept-Language, else the default.
func pickLang(query, cookie, accept string) string {
	for _, v := range []string{query, cookie} {
		for _, n := range langNames {
			if strings.EqualFold(v, n) {
				return n
			}
		}
	}
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return langNames[0]
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return langNames[0]
	}
	return langNames[i]
}

// withLang is the request URI with ?lang= set to lang (the switch's links).
func withLang(uri, lang string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "?lang=" + url.QueryEscape(lang)
	}
	q := u.Query()
	q.Set("lang", lang)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}
