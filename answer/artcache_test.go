package answer

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestAnsweredArticleFollowsChanges: the answer path's cached articles
// never outlive the version they hold: an update, a delete and a
// re-create with the same version number are each answered as stored.
func TestAnsweredArticleFollowsChanges(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, "shop", shippingArticles())
	answerOf := func(want string) {
		t.Helper()
		resp, err := e.Ask(ctx, AskRequest{KB: "shop", Question: "怎么开发票？"})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Answer == nil || resp.Answer.Answer != want {
			t.Fatalf("answered %+v, want %q", resp.Answer, want)
		}
	}
	answerOf("在订单详情申请电子发票。")
	answerOf("在订单详情申请电子发票。")
	if len(e.Library.cache.m) == 0 {
		t.Fatal("the answered articles were not cached")
	}
	invoice := Article{ID: "invoice", Question: "怎么开发票？", Answer: "在“我的-发票”里申请。", Category: "invoices"}
	if err := e.ImportArticles(ctx, "shop", []Article{invoice}, nil); err != nil {
		t.Fatal(err)
	}
	answerOf("在“我的-发票”里申请。")
	if err := e.DeleteArticle(ctx, "shop", "invoice"); err != nil {
		t.Fatal(err)
	}
	invoice.Answer = "请联系客服开票。"
	if err := e.ImportArticles(ctx, "shop", []Article{invoice}, nil); err != nil {
		t.Fatal(err)
	}
	a, err := e.Library.Article(ctx, "shop", "invoice")
	if err != nil || a.Version != 1 {
		t.Fatalf("re-created article: version %d, %v; the test wants the first version's number again", a.Version, err)
	}
	answerOf("请联系客服开票。")
}

// TestRankedArticlesOtherReplica: an article another replica changes is
// read as this replica's lexicon ranks it, and as stored once the lexicon
// reloads.
func TestRankedArticlesOtherReplica(t *testing.T) {
	ctx := context.Background()
	a, store := newTestKB(t)
	b, err := NewLibrary(ctx, store, testEmbedder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	art := Article{ID: "ship", Question: "运费怎么算", Answer: "满99元包邮。"}
	if _, err := a.Import(ctx, "shop", []Article{art}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	read := func() Article {
		t.Helper()
		m, err := b.rankedArticles(ctx, "shop", []string{"ship"})
		if err != nil {
			t.Fatal(err)
		}
		return m["ship"]
	}
	if got := read(); got.Answer != art.Answer || got.Version != 1 {
		t.Fatalf("read %+v", got)
	}
	art.Answer = "满199元包邮。"
	if _, err := a.Import(ctx, "shop", []Article{art}, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got.Version != 1 {
		t.Fatalf("before its lexicon reloads, b reads version %d, want the version it ranks (1)", got.Version)
	}
	old := lexiconRefresh
	lexiconRefresh = 0
	defer func() { lexiconRefresh = old }()
	deadline := time.Now().Add(10 * time.Second)
	for got := read(); got.Answer != art.Answer || got.Version != 2; got = read() {
		if time.Now().After(deadline) {
			t.Fatalf("after reloads b still reads %+v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestArticleCacheBounded: the cache holds at most articleCacheBytes of
// articles, and does not take one too large to be worth it.
func TestArticleCacheBounded(t *testing.T) {
	var c articleCache
	big := Article{ID: "big", Answer: strings.Repeat("长", MaxAnswerRunes)}
	for i := range 2000 {
		c.put(&artLex{version: i}, big)
		if c.bytes > articleCacheBytes {
			t.Fatalf("after %d puts the cache holds %d bytes", i+1, c.bytes)
		}
	}
	sum := 0
	for _, a := range c.m {
		sum += articleSize(&a)
	}
	if sum != c.bytes || len(c.m) < articleCacheBytes/articleSize(&big)-1 {
		t.Fatalf("%d entries, %d bytes counted, %d held", len(c.m), c.bytes, sum)
	}
	huge := Article{ID: "huge", Variants: make([]string, MaxVariants)}
	for i := range huge.Variants {
		huge.Variants[i] = strings.Repeat("问", MaxQuestionRunes)
	}
	al := &artLex{}
	c.put(al, huge)
	if _, ok := c.get(al); ok {
		t.Fatal("an article at the limits was cached")
	}
}
