// Tests of article diffs: field changes, variant sets and the answer's
// line diff.

package curate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
)

func diffBaseArticle() answer.Article {
	return answer.Article{
		ID: "refund-1", KB: "shop", Question: "怎么申请退款？",
		Variants: []string{"退款怎么操作", "如何退款"},
		Answer:   "第一步：打开订单\n第二步：点击退款\n第三步：等待审核",
		Category: "refunds", Locale: "zh-CN", Status: answer.StatusPublished, Version: 1,
		CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestDiffFields(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	t1 := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		edit func(a *answer.Article)
		want ArticleDiff
	}{
		{"bookkeeping only", func(a *answer.Article) {
			a.Version, a.UpdatedAt, a.CreatedAt = 7, t1, t1
		}, ArticleDiff{}},
		{"variants reordered and duplicated", func(a *answer.Article) {
			a.Variants = []string{"如何退款", "退款怎么操作", "如何退款"}
		}, ArticleDiff{}},
		{"question and status", func(a *answer.Article) {
			a.Question, a.Status = "如何申请退款？", answer.StatusArchived
		}, ArticleDiff{Fields: []FieldChange{
			{Field: FieldQuestion, Before: "怎么申请退款？", After: "如何申请退款？"},
			{Field: FieldStatus, Before: "published", After: "archived"},
		}}},
		{"category and locale", func(a *answer.Article) {
			a.Category, a.Locale = "", "zh-TW"
		}, ArticleDiff{Fields: []FieldChange{
			{Field: FieldCategory, Before: "refunds", After: ""},
			{Field: FieldLocale, Before: "zh-CN", After: "zh-TW"},
		}}},
		{"validity", func(a *answer.Article) {
			a.ValidFrom, a.ValidTo = &t0, &t1
		}, ArticleDiff{Fields: []FieldChange{
			{Field: FieldValidFrom, Before: (*time.Time)(nil), After: &t0},
			{Field: FieldValidTo, Before: (*time.Time)(nil), After: &t1},
		}}},
		{"scope", func(a *answer.Article) {
			a.Scope = map[string]string{"store": "tmall"}
		}, ArticleDiff{Fields: []FieldChange{
			{Field: FieldScope, Before: map[string]string(nil), After: map[string]string{"store": "tmall"}},
		}}},
		{"variants added and removed", func(a *answer.Article) {
			a.Variants = []string{"如何退款", "退钱", "能退款吗", "退钱"}
		}, ArticleDiff{VariantsAdded: []string{"退钱", "能退款吗"}, VariantsRemoved: []string{"退款怎么操作"}}},
		{"variant compare is exact", func(a *answer.Article) {
			a.Variants = []string{"退款怎么操作 ", "如何退款"}
		}, ArticleDiff{VariantsAdded: []string{"退款怎么操作 "}, VariantsRemoved: []string{"退款怎么操作"}}},
		{"answer line changed", func(a *answer.Article) {
			a.Answer = "第一步：打开订单\n第二步：点击申请售后\n第三步：等待审核"
		}, ArticleDiff{
			Fields: []FieldChange{{Field: FieldAnswer,
				Before: "第一步：打开订单\n第二步：点击退款\n第三步：等待审核",
				After:  "第一步：打开订单\n第二步：点击申请售后\n第三步：等待审核"}},
			AnswerLines: []DiffLine{
				{DiffEqual, "第一步：打开订单"}, {DiffDelete, "第二步：点击退款"},
				{DiffInsert, "第二步：点击申请售后"}, {DiffEqual, "第三步：等待审核"},
			},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := diffBaseArticle()
			b := diffBaseArticle()
			tc.edit(&b)
			got := Diff(a, b)
			if d := gocmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff (-want +got):\n%s", d)
			}
			if got.Empty() != (len(tc.want.Fields) == 0 && tc.want.VariantsAdded == nil && tc.want.VariantsRemoved == nil) {
				t.Errorf("Empty() = %t", got.Empty())
			}
		})
	}
}

func TestDiffChanged(t *testing.T) {
	a := diffBaseArticle()
	b := a
	b.Answer, b.Locale, b.Variants = "新的答案", "en", nil
	got := Diff(a, b).Changed()
	want := []string{FieldAnswer, FieldLocale, FieldVariants}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("Changed (-want +got):\n%s", d)
	}
	if rev := Diff(b, a); len(rev.VariantsAdded) != 2 || rev.VariantsRemoved != nil {
		t.Errorf("reverse diff variants: added %q removed %q", rev.VariantsAdded, rev.VariantsRemoved)
	}
}

func TestDiffLines(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       string // ops as "op text" lines
	}{
		{"equal", "a\nb", "a\nb", "=a =b"},
		{"both empty", "", "", ""},
		{"from empty", "", "x\ny", "+x +y"},
		{"to empty", "x\ny", "", "-x -y"},
		{"insert middle", "a\nc", "a\nb\nc", "=a +b =c"},
		{"delete middle", "a\nb\nc", "a\nc", "=a -b =c"},
		{"replace run", "a\nb\nc\nd", "a\nx\ny\nd", "=a -b -c +x +y =d"},
		{"crlf", "a\r\nb", "a\nb\nc", "=a =b +c"},
		{"lcs in middle", "p\na\nb\nc\nq", "r\nb\nc\na\ns", "-p -a +r =b =c -q +a +s"},
		{"trailing newline", "a\n", "a", "=a -"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var parts []string
			for _, l := range DiffLines(tc.a, tc.b) {
				parts = append(parts, l.Op+l.Text)
			}
			if got := strings.Join(parts, " "); got != tc.want {
				t.Errorf("DiffLines(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestDiffLinesInvariants checks on generated texts that the "=" and "-"
// lines spell the old text, the "=" and "+" lines the new one, and that
// the "=" lines are as many as a longest common subsequence.
func TestDiffLinesInvariants(t *testing.T) {
	words := []string{"a", "b", "c", "d"}
	for seed := range 300 {
		gen := func(k int) []string {
			n := (seed*7 + k*13) % 9
			out := make([]string, n)
			for i := range out {
				out[i] = words[(seed*31+k*17+i*i*5+i)%len(words)]
			}
			return out
		}
		x, y := gen(1), gen(2)
		lines := DiffLines(strings.Join(x, "\n"), strings.Join(y, "\n"))
		var gx, gy []string
		eq := 0
		for _, l := range lines {
			switch l.Op {
			case DiffEqual:
				gx, gy = append(gx, l.Text), append(gy, l.Text)
				eq++
			case DiffDelete:
				gx = append(gx, l.Text)
			case DiffInsert:
				gy = append(gy, l.Text)
			}
		}
		if len(x) == 0 {
			x = nil
		}
		if len(y) == 0 {
			y = nil
		}
		if d := gocmp.Diff(x, gx); d != "" {
			t.Fatalf("seed %d: old text (-want +got):\n%s", seed, d)
		}
		if d := gocmp.Diff(y, gy); d != "" {
			t.Fatalf("seed %d: new text (-want +got):\n%s", seed, d)
		}
		if want := naiveLCS(x, y); eq != want {
			t.Fatalf("seed %d: %d equal lines, LCS is %d (%q vs %q)", seed, eq, want, x, y)
		}
	}
}

func naiveLCS(x, y []string) int {
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	if x[0] == y[0] {
		return 1 + naiveLCS(x[1:], y[1:])
	}
	return max(naiveLCS(x[1:], y), naiveLCS(x, y[1:]))
}

func TestDiffLinesCap(t *testing.T) {
	var a, b []string
	for i := range maxDiffLines + 5 {
		a = append(a, fmt.Sprintf("old %d", i))
		b = append(b, fmt.Sprintf("new %d", i))
	}
	a = append([]string{"head"}, append(a, "tail")...)
	b = append([]string{"head"}, append(b, "tail")...)
	lines := DiffLines(strings.Join(a, "\n"), strings.Join(b, "\n"))
	if len(lines) != 2+2*(maxDiffLines+5) {
		t.Fatalf("%d lines, want %d", len(lines), 2+2*(maxDiffLines+5))
	}
	if lines[0] != (DiffLine{DiffEqual, "head"}) || lines[len(lines)-1] != (DiffLine{DiffEqual, "tail"}) {
		t.Errorf("common first and last lines not kept: %v … %v", lines[0], lines[len(lines)-1])
	}
	if lines[1] != (DiffLine{DiffDelete, "old 0"}) || lines[maxDiffLines+6] != (DiffLine{DiffInsert, "new 0"}) {
		t.Errorf("not a whole replacement: %v, %v", lines[1], lines[maxDiffLines+6])
	}
}

func TestDiffSameArticleContent(t *testing.T) {
	a := diffBaseArticle()
	b := a
	b.Version, b.UpdatedAt, b.Variants = 9, time.Now(), append([]string(nil), a.Variants...)
	if !sameArticleContent(a, b) {
		t.Error("bookkeeping-only change judged different")
	}
	b.Variants = []string{a.Variants[1], a.Variants[0]}
	if sameArticleContent(a, b) {
		t.Error("variant order change judged the same (the KB bumps the version for it)")
	}
	b = a
	b.Answer += "!"
	if sameArticleContent(a, b) {
		t.Error("answer change judged the same")
	}
}

func ExampleDiff() {
	v1 := answer.Article{ID: "ship-time", Question: "多久发货？", Variants: []string{"什么时候发货"},
		Answer: "付款后48小时内发货\n节假日顺延"}
	v2 := v1
	v2.Variants = []string{"什么时候发货", "几天发货"}
	v2.Answer = "付款后24小时内发货\n节假日顺延"
	d := Diff(v1, v2)
	fmt.Println(d.Changed(), d.VariantsAdded)
	for _, l := range d.AnswerLines {
		fmt.Println(l.Op, l.Text)
	}
	// Output:
	// [answer variants] [几天发货]
	// - 付款后48小时内发货
	// + 付款后24小时内发货
	// = 节假日顺延
}
