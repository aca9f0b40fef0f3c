package answer

import (
	"slices"
	"testing"

	"github.com/jieda/jieda/embed"
)

// TestMemberTerms: a group's members' terms are the encoder's, computed
// once per encoder.
func TestMemberTerms(t *testing.T) {
	sp1, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	sp2, err := embed.NewSparseEncoder(embed.DefaultSparseConfig())
	if err != nil {
		t.Fatal(err)
	}
	g := &conceptGroup{members: []string{"退款", "refund money", "退钱"}}
	first := g.memberTerms(sp1)
	for i, m := range g.members {
		if !slices.Equal(first[i], sp1.Terms(m)) {
			t.Errorf("member %q: terms %q, want %q", m, first[i], sp1.Terms(m))
		}
	}
	if again := g.memberTerms(sp1); &again[0] != &first[0] {
		t.Error("the same encoder's terms were computed again")
	}
	other := g.memberTerms(sp2)
	if &other[0] == &first[0] || !slices.EqualFunc(other, first, slices.Equal[[]string]) {
		t.Errorf("another encoder: cached %v, terms %q", &other[0] == &first[0], other)
	}
}
