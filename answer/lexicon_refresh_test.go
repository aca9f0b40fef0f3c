package answer

import (
	"context"
	"testing"
	"time"
)

// TestLexiconRefreshSeesOtherReplicas: two KBs over one store stand for
// two replicas; an article one imports reaches the other's reranker once
// its lexicon is older than lexiconRefresh.
func TestLexiconRefreshSeesOtherReplicas(t *testing.T) {
	ctx := context.Background()
	a, store := newTestKB(t)
	b, err := NewLibrary(ctx, store, testEmbedder(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	first := []Article{{ID: "ship", Question: "运费怎么算", Answer: "满99元包邮。"}}
	if _, err := a.Import(ctx, "shop", first, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Search(ctx, "shop", "运费", SearchOptions{}); err != nil { // b loads its lexicon
		t.Fatal(err)
	}
	second := []Article{{ID: "invoice", Question: "怎么开增值税发票", Answer: "在订单详情页申请开票。"}}
	if _, err := a.Import(ctx, "shop", second, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	old := lexiconRefresh
	lexiconRefresh = 0
	defer func() { lexiconRefresh = old }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l, err := b.lexicon(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := l.arts["invoice"]; ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the other replica's import never reached this KB's lexicon")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
