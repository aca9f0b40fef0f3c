package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// TestDomainCachesKeyedByKBName mixes request shapes (the KB in a query
// string, a path, a JSON body; paths and bodies of different lengths)
// against one KB and checks every domain cache holds exactly one entry,
// keyed by the KB's name. Fiber's strings alias a reused request buffer:
// a cache that kept one as a key would hold garbled or duplicate names.
func TestDomainCachesKeyedByKBName(t *testing.T) {
	s, eng, cur := startAnswerServerWithCurator(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	const kb = "returns-shop.cn"
	q := url.QueryEscape(kb)
	importTestKB(t, s, editor, q)
	for i := range 3 {
		pad := strings.Repeat("x", i*17)
		for _, r := range []struct{ method, path string }{
			{"GET", "/v1/search?kb=" + q + "&q=" + url.QueryEscape("运费怎么算"+pad)},
			{"GET", "/v1/kbs/" + url.PathEscape(kb) + "/settings"},
			{"GET", "/v1/articles?kb=" + q + "&limit=" + []string{"5", "50", "100"}[i]},
			{"GET", "/v1/kbs/" + url.PathEscape(kb) + "/curation"},
			{"GET", "/v1/candidates?kb=" + q + "&status=pending"},
			{"GET", "/v1/gaps?kb=" + q + "&min_count=1"},
			{"GET", "/v1/articles/ship-fee?kb=" + q + "&pad=" + pad},
		} {
			if resp := s.do(t, r.method, r.path, editor, nil); resp.status != 200 {
				t.Fatalf("%s %s: %d %s", r.method, r.path, resp.status, resp.raw)
			}
		}
		if resp := ask(t, s, editor, map[string]any{"kb": kb, "question": "包邮吗" + pad}); resp.status != 200 {
			t.Fatalf("ask: %d %s", resp.status, resp.raw)
		}
		// A handoff resolved with a reply reaches curation's per-KB lock.
		resp := ask(t, s, editor, map[string]any{"kb": kb, "question": "我要转人工" + pad})
		ho, _ := resp.body["handoff"].(map[string]any)
		if ho == nil {
			t.Fatalf("ask for a person: %s", resp.raw)
		}
		reply := map[string]any{"reply": "周末仓库照常发货，一般48小时内发出。" + pad}
		if r := s.do(t, "POST", "/v1/handoffs/"+ho["id"].(string)+"/resolve", editor, reply); r.status != 200 {
			t.Fatalf("resolve: %d %s", r.status, r.raw)
		}
	}
	check := func(who string, caches map[string][]string) {
		for name, keys := range caches {
			if diff := cmp.Diff([]string{kb}, keys); diff != "" {
				t.Errorf("%s cache %q keys (-want +got):\n%s", who, name, diff)
			}
		}
	}
	check("answer", eng.CachedKBs())
	check("curate", cur.CachedKBs())
}
