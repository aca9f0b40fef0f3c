package answer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleEngine is an Engine over newTestKB with the sample KB imported as "shop".
func sampleEngine(t *testing.T) *Engine {
	t.Helper()
	return newTestEngine(t, "shop", sampleArticles(t))
}

func TestHighlight(t *testing.T) {
	norm := func(s string) (string, error) { return strings.ToLower(s), nil }
	for _, tc := range []struct{ text, query, want string }{
		{"运费怎么算", "运费多少", "<mark>运费</mark>怎么算"},
		{"How do I return an item?", "return policy", "How do I <mark>return</mark> an item?"},
		{"Order SO-771 <b>", "so-771", "Order <mark>SO-771</mark> &lt;b&gt;"},
		{"returns", "return", "returns"}, // Latin words match whole
		{"", "x", ""},
	} {
		if got := Highlight(tc.text, tc.query, norm); got != tc.want {
			t.Errorf("Highlight(%q, %q) = %q, want %q", tc.text, tc.query, got, tc.want)
		}
	}
}

func TestAgentSearch(t *testing.T) {
	e := sampleEngine(t)
	ctx := context.Background()
	hits, err := e.AgentSearch(ctx, "shop", "退货运费谁出", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || len(hits) > 5 {
		t.Fatalf("%d hits, want 1-5", len(hits))
	}
	for _, h := range hits {
		if h.StandardQuestion == "" || h.Answer == "" || !strings.Contains(h.Highlight, "<mark>") {
			t.Errorf("hit %+v lacks its article or a highlight", h)
		}
	}
	for _, tc := range []struct {
		name, kb, q string
		limit       int
		want        error
	}{
		{"empty", "shop", "  ", 5, ErrEmptyQuery},
		{"invalid UTF-8", "shop", "\xff", 5, ErrInvalidQuestion},
		{"too long", "shop", strings.Repeat("运", DefaultMaxQuestionRunes+1), 5, ErrQuestionTooLong},
		{"limit", "shop", "运费", MaxSearchLimit + 1, ErrInvalidQuestion},
		{"unknown kb", "nope", "运费", 5, ErrUnknownKB},
	} {
		if _, err := e.AgentSearch(ctx, tc.kb, tc.q, tc.limit); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Concurrent creates of one id: exactly one wins, the rest are
// ErrArticleExists; a put creates once, then replaces.
func TestCreateAndPutArticle(t *testing.T) {
	e := sampleEngine(t)
	ctx := context.Background()
	art := Article{ID: "gift-wrap", Question: "可以包装成礼物吗", Answer: "下单时勾选礼品包装，免费。", Category: "orders", Locale: "zh-CN"}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { _, errs[i] = e.CreateArticle(ctx, "shop", art) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrArticleExists):
			t.Errorf("create: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates won, want 1", won)
	}
	art.Answer = "礼品包装免费，下单时勾选即可。"
	saved, created, err := e.PutArticle(ctx, "shop", art)
	if err != nil || created || saved.Version != 2 || saved.Answer != art.Answer {
		t.Errorf("put over an existing article: created %v, version %d, %v", created, saved.Version, err)
	}
	art.ID = "gift-card"
	if _, created, err := e.PutArticle(ctx, "shop", art); err != nil || !created {
		t.Errorf("put of a new id: created %v, %v", created, err)
	}
	bad := art
	bad.Question = ""
	if _, err := e.CreateArticle(ctx, "shop", bad); !errors.Is(err, ErrInvalidArticle) {
		t.Errorf("invalid article: %v", err)
	}
	if _, err := e.CreateArticle(ctx, "bad kb", art); !errors.Is(err, ErrInvalidKB) {
		t.Errorf("invalid kb: %v", err)
	}
}

// Replace keeps the stored webhook secret and thresholds a client did not send.
func TestSettingsReplaceKeepsSecret(t *testing.T) {
	e := sampleEngine(t)
	ctx := context.Background()
	st := DefaultSettings("shop")
	st.Webhook = Webhook{URL: "https://desk.example/hook", Secret: "s3cret-s3cret-s3cret"}
	st.Thresholds.Answer = 0.9
	if _, err := e.Settings.Put(ctx, st); err != nil {
		t.Fatal(err)
	}
	saved, err := e.Settings.Replace(ctx, Settings{KB: "shop", Webhook: Webhook{URL: "https://desk.example/hook2"}})
	if err != nil {
		t.Fatal(err)
	}
	want := Webhook{URL: "https://desk.example/hook2", Secret: "s3cret-s3cret-s3cret"}
	if diff := cmp.Diff(want, saved.Webhook); diff != "" || saved.Thresholds.Answer != 0.9 {
		t.Errorf("webhook (-want +got):\n%s; answer threshold %v", diff, saved.Thresholds.Answer)
	}
}
