package answer

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/embed"
)

func TestStem(t *testing.T) {
	groups := [][]string{
		{"activate", "activated", "activating", "activation", "activates"},
		{"card", "cards"},
		{"top", "topping"},
		{"transfer", "transferred", "transferring", "transfers"},
		{"verify", "verified", "verifies"},
		{"charge", "charged", "charges", "charging"},
	}
	for _, g := range groups {
		want := stem(g[0])
		for _, w := range g[1:] {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q, stem(%q) = %q: want the same", w, got, g[0], want)
			}
		}
	}
	if stem("card") == stem("care") {
		t.Error("card and care share a stem")
	}
}

func TestLexTermsMarksTemplates(t *testing.T) {
	sp, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	fn := func(text string) map[string]bool {
		got := map[string]bool{}
		for _, term := range sp.Terms(text) {
			id := embed.TermID(term)
			if isLatinWord(term) {
				id = embed.TermID(stem(term))
			}
			for _, lt := range lexTerms(sp, text) {
				if lt.id == id {
					got[term] = lt.class == classFunction
				}
			}
		}
		return got
	}
	zh := fn("请问怎么退货")
	for term, want := range map[string]bool{"怎么": true, "请问": true, "退货": false, "退": false} {
		if zh[term] != want {
			t.Errorf("%q marked %v, want %v", term, zh[term], want)
		}
	}
	en := fn("how do i return my shoes")
	for term, want := range map[string]bool{"how": true, "do": true, "my": true, "return": false, "shoes": false} {
		if en[term] != want {
			t.Errorf("%q marked %v, want %v", term, en[term], want)
		}
	}
}

func TestLexiconCopyOnWrite(t *testing.T) {
	sp, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(q, ans string) *artLex {
		al, err := newArtLex(&Article{Question: q, Answer: ans}, embed.Normalize, sp)
		if err != nil {
			t.Fatal(err)
		}
		return al
	}
	l1 := (&lexicon{}).with(map[string]*artLex{"a": mk("怎么退货", "七天内可退"), "b": mk("怎么换货", "联系客服")})
	l2 := l1.with(map[string]*artLex{"b": nil, "c": mk("运费多少", "满99包邮")})
	id := embed.TermID("怎么")
	if l1.qdf[id] != 2 || l2.qdf[id] != 1 {
		t.Errorf("qdf(怎么) = %d then %d, want 2 then 1", l1.qdf[id], l2.qdf[id])
	}
	if _, ok := l1.arts["b"]; !ok {
		t.Error("changing a copy changed the original")
	}
	if got := len(l2.arts); got != 2 {
		t.Errorf("%d articles after delete and add, want 2", got)
	}
	// a term every article has weighs less than one only a few have
	l3 := l2.with(map[string]*artLex{"d": mk("怎么开发票", "订单页申请")})
	if w1, w2 := l3.termWeight(lexTerm{id: embed.TermID("怎么")}), l3.termWeight(lexTerm{id: embed.TermID("发票")}); w1 >= w2 {
		t.Errorf("weight(怎么) %v >= weight(发票) %v", w1, w2)
	}
}

// TestLexiconPoints checks which points a lexicon resolves: those of its
// articles' published versions; a removed article's points are gone from
// a copy made by with, and a view, which shares its base's points, does
// not resolve the points of an article it holds out.
func TestLexiconPoints(t *testing.T) {
	sp, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id, q, ans string) *artLex {
		a := &Article{ID: id, Question: q, Answer: ans, Version: 1}
		al, err := newArtLex(a, embed.Normalize, sp)
		if err != nil {
			t.Fatal(err)
		}
		al.points = articlePoints("shop", a, false)
		return al
	}
	a, b := mk("a", "怎么退货", "七天内可退"), mk("b", "怎么换货", "联系客服")
	base := (&lexicon{}).with(map[string]*artLex{"a": a, "b": b})
	resolves := func(l *lexicon, al *artLex) int {
		n := 0
		for id := range al.points {
			if l.point(id) != nil {
				n++
			}
		}
		return n
	}
	if resolves(base, a) != len(a.points) || resolves(base, b) != len(b.points) {
		t.Fatalf("base resolves %d of a's %d points and %d of b's %d", resolves(base, a), len(a.points), resolves(base, b), len(b.points))
	}
	if l := base.with(map[string]*artLex{"b": nil}); resolves(l, b) != 0 || resolves(l, a) != len(a.points) {
		t.Errorf("with b removed: resolves %d of b's points, %d of a's", resolves(l, b), resolves(l, a))
	}
	if l := base.view(map[string]*artLex{"b": nil}); resolves(l, b) != 0 || resolves(l, a) != len(a.points) {
		t.Errorf("view holding b out: resolves %d of b's points, %d of a's", resolves(l, b), resolves(l, a))
	}
	if base.point("no-such-point") != nil {
		t.Error("an unknown id resolved")
	}
}

// siblingArticles are articles that share their question templates and
// differ in one term, as a curated KB's paraphrases often do.
func siblingArticles() []Article {
	tmpl := func(thing string) []string {
		return []string{"我想了解" + thing + "怎么申请", "不知道" + thing + "去哪里办", "请问" + thing + "需要什么材料", thing + "的办理流程是什么"}
	}
	return []Article{
		{ID: "gift-card", Question: "礼品卡怎么办理", Variants: tmpl("礼品卡"), Answer: "在会员中心购买礼品卡，即时到账。"},
		{ID: "vip-card", Question: "会员卡怎么办理", Variants: tmpl("会员卡"), Answer: "在会员中心开通会员卡，首年免费。"},
		{ID: "invoice", Question: "发票怎么开", Variants: tmpl("发票"), Answer: "在订单详情页申请电子发票。"},
		{ID: "en-return", Question: "how do i send an item back", Variants: []string{"can i send back what i bought", "sending an order back"}, Answer: "Returns and refunds"},
		{ID: "en-track", Question: "where is my parcel", Variants: []string{"has my order shipped yet", "my package is late"}, Answer: "Tracking a delivery"},
	}
}

func TestRerankRanksByContentTerms(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	if _, err := k.Import(ctx, "shop", siblingArticles(), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ query, want string }{
		// the template words match every sibling; the content term decides
		{"不知道会员卡怎么申请", "vip-card"},
		{"礼品卡办理需要什么", "gift-card"},
		// the answer body names what the questions do not say
		{"i want a refund", "en-return"},
		{"tracking my delivery", "en-track"},
	} {
		cands, err := k.Search(ctx, "shop", tc.query, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) == 0 || cands[0].ArticleID != tc.want {
			t.Errorf("%q: got %v, want %s first", tc.query, ids(cands), tc.want)
			continue
		}
		c := cands[0]
		for name, v := range map[string]float64{"coverage": c.Coverage, "centroid": c.Centroid, "question_overlap": c.QuestionOverlap,
			"answer_coverage": c.AnswerCoverage, "answer_overlap": c.AnswerOverlap, "prob": c.Prob} {
			if !(v >= 0 && v <= 1) {
				t.Errorf("%q: %s = %v, want in [0, 1]", tc.query, name, v)
			}
		}
		if len(cands) > 1 && !(c.Prob > cands[1].Prob) {
			t.Errorf("%q: top prob %v not above the runner-up's %v", tc.query, c.Prob, cands[1].Prob)
		}
	}
	// an exact question covers the query fully
	cands, err := k.Search(ctx, "shop", "发票怎么开", SearchOptions{})
	if err != nil || len(cands) == 0 {
		t.Fatal(cands, err)
	}
	if c := cands[0]; c.ArticleID != "invoice" || c.Coverage < 0.999 || c.QuestionOverlap < 0.999 {
		t.Errorf("exact question: %+v", c)
	}
	// NoRerank leaves the features out
	cands, err = k.Search(ctx, "shop", "发票怎么开", SearchOptions{NoRerank: true})
	if err != nil || len(cands) == 0 || cands[0].Coverage != 0 || cands[0].Prob != 0 {
		t.Errorf("NoRerank: %+v, %v", cands, err)
	}
}

// TestLexiconFollowsImport checks that the next Search after an import
// sees the change, and that Search and Import may run concurrently.
func TestLexiconFollowsImport(t *testing.T) {
	ctx := context.Background()
	k, _ := newTestKB(t)
	arts := siblingArticles()
	if _, err := k.Import(ctx, "shop", arts, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	search := func(q string) Candidate {
		t.Helper()
		cands, err := k.Search(ctx, "shop", q, SearchOptions{})
		if err != nil || len(cands) == 0 {
			t.Fatalf("%q: %v, %v", q, cands, err)
		}
		return cands[0]
	}
	const q = "积分能抵现吗"
	if c := search(q); c.Coverage > 0.5 {
		t.Fatalf("before the update %s covers %.2f of %q", c.ArticleID, c.Coverage, q)
	}
	arts[2].Variants = append(arts[2].Variants, q)
	arts[2].Answer = "积分可在结算时抵现。"
	if _, err := k.Import(ctx, "shop", arts[2:3], ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if c := search(q); c.ArticleID != "invoice" || c.Coverage < 0.999 {
		t.Errorf("after the update: %+v", c)
	}
	want := len(arts)
	if l, err := k.lexicon(ctx, "shop"); err != nil || len(l.arts) != want {
		t.Errorf("lexicon holds %d articles (%v), want %d", len(l.arts), err, want)
	}
	if err := k.DeleteArticle(ctx, "shop", "invoice"); err != nil {
		t.Fatal(err)
	}
	if l, _ := k.lexicon(ctx, "shop"); len(l.arts) != want-1 || l.arts["invoice"] != nil {
		t.Errorf("lexicon holds %d articles after a delete, want %d", len(l.arts), want-1)
	}
	k.lex.invalidate("shop")
	if l, _ := k.lexicon(ctx, "shop"); len(l.arts) != want-1 {
		t.Errorf("rebuilt lexicon holds %d articles, want %d (from the store)", len(l.arts), want-1)
	}

	// concurrent searches and imports (run with -race)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				if g == 0 && i%5 == 0 {
					k.lex.invalidate("shop")
				}
				if _, err := k.Search(ctx, "shop", "会员卡怎么办", SearchOptions{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range 5 {
		arts[0].Answer = "礼品卡说明第" + string(rune('1'+i)) + "版"
		if _, err := k.Import(ctx, "shop", arts[:1], ImportOptions{}); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
	l, err := k.lexicon(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := newArtLex(&arts[0], embed.Normalize, k.sparse)
	if err != nil {
		t.Fatal(err)
	}
	type answerTerms struct {
		Terms   []uint32
		Classes []termClass
	}
	got := l.arts["gift-card"]
	if diff := cmp.Diff(answerTerms{fresh.answerTerms, fresh.answerClasses}, answerTerms{got.answerTerms, got.answerClasses}); diff != "" {
		t.Errorf("lexicon answer terms after concurrent imports (-want +got):\n%s", diff)
	}
}

func TestConceptsMatchSynonyms(t *testing.T) {
	sp, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	conceptsOf := func(text string) []uint32 {
		var ids []uint32
		for _, lt := range lexTerms(sp, text) {
			if lt.class == classConcept {
				ids = append(ids, lt.id)
			}
		}
		return ids
	}
	shared := func(a, b string) bool {
		for _, x := range conceptsOf(a) {
			if slices.Contains(conceptsOf(b), x) {
				return true
			}
		}
		return false
	}
	for _, pair := range [][2]string{
		{"怎么开通会员", "如何办理会员"},
		{"转账上限是多少", "转账限额"},
		{"卡丢了怎么办", "挂失银行卡"},
		{"i topped up my account", "how to add money"},
		{"my card was stolen", "i lost my card"},
	} {
		if !shared(pair[0], pair[1]) {
			t.Errorf("%q and %q share no concept", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{{"发票怎么开", "运费多少"}, {"where is my parcel", "change my pin"}} {
		if shared(pair[0], pair[1]) {
			t.Errorf("%q and %q share a concept", pair[0], pair[1])
		}
	}
	// a Latin member matches whole words only
	if got := conceptsOf("atmosphere"); len(got) != 0 {
		t.Errorf("atmosphere matched concepts %v", got)
	}
	if got := conceptsOf("atm取款"); len(got) == 0 {
		t.Error("atm取款 matched no concept")
	}
}

func TestQueryLexTermsAddsSynonyms(t *testing.T) {
	sp, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	syn := map[uint32]bool{}
	for _, lt := range queryLexTerms(sp, "转账上限") {
		if lt.class == classSynonym {
			syn[lt.id] = true
		}
	}
	if !syn[embed.TermID("限额")] || !syn[embed.TermID("额度")] {
		t.Error("转账上限: 限额 and 额度 not added")
	}
	for _, own := range []string{"上限", "转账", "限"} {
		if syn[embed.TermID(own)] {
			t.Errorf("%q added as a synonym (the query has it, or it is one character)", own)
		}
	}
	// synonyms rank the article that says it in other words first, and
	// stay out of the features that confidence reads
	ctx := context.Background()
	k, _ := newTestKB(t)
	arts := []Article{
		{ID: "limit", Question: "转账限额是多少", Answer: "单笔五万元。"},
		{ID: "transfer", Question: "怎么转账", Answer: "在首页点转账。"},
		{ID: "fee", Question: "转账手续费", Answer: "行内免费。"},
	}
	if _, err := k.Import(ctx, "shop", arts, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	cands, err := k.Search(ctx, "shop", "转账最多能转多少", SearchOptions{})
	if err != nil || len(cands) == 0 {
		t.Fatal(cands, err)
	}
	if cands[0].ArticleID != "limit" {
		t.Errorf("got %v, want limit first", ids(cands))
	}
	l, err := k.lexicon(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	q := l.query(queryLexTerms(sp, "转账上限"))
	if plain := q.plain(); plain.total != q.total || len(plain.terms) >= len(q.terms) {
		t.Errorf("plain query: total %v (want %v), %d terms of %d", plain.total, q.total, len(plain.terms), len(q.terms))
	}
}

func TestQueryVectorAddsSynonyms(t *testing.T) {
	sp, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	v := queryVector(sp, "转账上限")
	got := map[uint32]float32{}
	for i, id := range v.Indices {
		got[id] = v.Values[i]
	}
	if w := got[embed.TermID("上限")]; w != 1 {
		t.Errorf("own term 上限 weighs %v, want 1", w)
	}
	if w := got[embed.TermID("限额")]; w != querySynonym {
		t.Errorf("synonym 限额 weighs %v, want %v", w, querySynonym)
	}
}
