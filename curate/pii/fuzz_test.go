package pii

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzScrub checks that Scrub never panics, returns valid UTF-8 whose
// findings rebuild it from the input, and is idempotent.
func FuzzScrub(f *testing.F) {
	for _, c := range loadPositives(f) {
		f.Add(c.text)
	}
	for _, c := range loadControls(f) {
		f.Add(c)
	}
	for _, seed := range []string{"", "\xff\xfe", "{phone}", "{name", "+", "(", "0", "1Z", "@", "路18号", "X"} {
		f.Add(seed)
	}
	s, err := New(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := s.Scrub(in)
		if !utf8.ValidString(r.Text) {
			t.Fatalf("invalid UTF-8 output %q for %q", r.Text, in)
		}
		checkInvariants(t, in, r)
		again := s.Scrub(r.Text)
		if again.Text != r.Text {
			t.Fatalf("not idempotent:\n  in:    %q\n  once:  %q\n  twice: %q\n  findings: %v", in, r.Text, again.Text, again.Findings)
		}
		if len(in) > 0 && len(r.Findings) == 0 && utf8.ValidString(in) && r.Text != in {
			t.Fatalf("text changed without findings: %q -> %q", in, r.Text)
		}
		_ = strings.Count(r.Text, "{")
	})
}

// TestIdempotentMixes glues random pieces of the test cases together with
// separators that touch match boundaries (letters, digits, braces, address
// characters) and checks the invariants and idempotence of each mix.
func TestIdempotentMixes(t *testing.T) {
	s := newTestScrubber(t)
	var pieces []string
	for _, c := range loadPositives(t) {
		pieces = append(pieces, c.text)
		for _, w := range c.want {
			pieces = append(pieces, w.raw)
		}
	}
	pieces = append(pieces, loadControls(t)...)
	seps := []string{"", " ", "，", "-", "1", "a", "X", "{", "}", "号", "路", "先生", "@", "+", "(", ")", ".", "订单号", "电话", "Mr. ", "我是"}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 4000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		var b strings.Builder
		for k := 0; k < 2+rng.IntN(3); k++ {
			p := pieces[rng.IntN(len(pieces))]
			if rng.IntN(3) == 0 { // a random cut of a piece
				r := []rune(p)
				a := rng.IntN(len(r))
				p = string(r[a : a+rng.IntN(len(r)-a)+1])
			}
			b.WriteString(p)
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		in := b.String()
		r := s.Scrub(in)
		checkInvariants(t, in, r)
		if again := s.Scrub(r.Text); again.Text != r.Text {
			t.Errorf("not idempotent:\n  in:    %q\n  once:  %q\n  twice: %q", in, r.Text, again.Text)
		}
	}
}
