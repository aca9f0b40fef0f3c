package pii

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// want is one piece of personal data a positive case must lose.
type want struct {
	typ Type
	raw string
}

type posCase struct {
	line int
	text string
	want []want
}

var markerRE = regexp.MustCompile(`\[([a-z_]+):([^\]]+)\]`)

// loadPositives reads testdata/positives.txt: one case per line, personal
// data marked as [type:raw].
func loadPositives(t testing.TB) []posCase {
	t.Helper()
	var out []posCase
	for n, line := range readLines(t, "testdata/positives.txt") {
		c := posCase{line: n}
		c.text = markerRE.ReplaceAllStringFunc(line, func(m string) string {
			sm := markerRE.FindStringSubmatch(m)
			typ := Type(sm[1])
			if !typ.valid() {
				t.Fatalf("positives.txt:%d: unknown type %q", n, sm[1])
			}
			c.want = append(c.want, want{typ, sm[2]})
			return sm[2]
		})
		if len(c.want) == 0 {
			t.Fatalf("positives.txt:%d: no [type:raw] marker", n)
		}
		out = append(out, c)
	}
	return out
}

func loadControls(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, l := range readLines(t, "testdata/controls.txt") {
		out = append(out, l)
	}
	return out
}

// readLines returns the non-empty, non-comment lines of a file keyed by line number.
func readLines(t testing.TB, path string) map[int]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out[n] = l
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func newTestScrubber(t testing.TB) *Scrubber {
	t.Helper()
	s, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPositives checks every marked value: it is gone from the output
// (no leak) and a finding of the marked type covers it (right placeholder).
func TestPositives(t *testing.T) {
	s := newTestScrubber(t)
	cases := loadPositives(t)
	if len(cases) < 200 {
		t.Errorf("%d positive cases, want at least 200", len(cases))
	}
	values, leaks, wrongType := 0, 0, 0
	perType := map[Type]int{}
	for _, c := range cases {
		r := s.Scrub(c.text)
		checkInvariants(t, c.text, r)
		from := 0
		for _, w := range c.want {
			values++
			perType[w.typ]++
			i := strings.Index(c.text[from:], w.raw)
			if i < 0 {
				t.Fatalf("line %d: raw %q not found in text", c.line, w.raw)
			}
			i += from
			from = i + len(w.raw)
			if strings.Contains(r.Text, w.raw) {
				leaks++
				t.Errorf("line %d: LEAK of %s %q\n  in:  %s\n  out: %s", c.line, w.typ, w.raw, c.text, r.Text)
				continue
			}
			if !covered(r.Findings, w.typ, i, i+len(w.raw)) {
				wrongType++
				t.Errorf("line %d: %q not covered by one %s finding\n  in:  %s\n  out: %s\n  findings: %v",
					c.line, w.raw, w.typ, c.text, r.Text, r.Findings)
			}
			if !strings.Contains(r.Text, w.typ.Placeholder()) {
				t.Errorf("line %d: %s missing from %q", c.line, w.typ.Placeholder(), r.Text)
			}
		}
	}
	t.Logf("%d positive cases, %d marked values %v: %d leaked, %d wrong type or partial", len(cases), values, perType, leaks, wrongType)
}

func covered(fs []Finding, typ Type, start, end int) bool {
	for _, f := range fs {
		if f.Type == typ && f.Start <= start && f.End >= end {
			return true
		}
	}
	return false
}

// TestControls requires ordinary customer-service text to pass unchanged
// and reports the false-positive rate.
func TestControls(t *testing.T) {
	s := newTestScrubber(t)
	controls := loadControls(t)
	if len(controls) < 80 {
		t.Errorf("%d control sentences, want at least 80", len(controls))
	}
	fp := 0
	for n, c := range controls {
		r := s.Scrub(c)
		if len(r.Findings) > 0 || r.Text != c {
			fp++
			t.Errorf("controls.txt:%d: false positive\n  in:  %s\n  out: %s", n, c, r.Text)
		}
	}
	t.Logf("control set: %d sentences, %d with a false positive, FP rate %.2f%%",
		len(controls), fp, 100*float64(fp)/float64(len(controls)))
}

// TestIdempotent scrubs every case twice.
func TestIdempotent(t *testing.T) {
	s := newTestScrubber(t)
	var texts []string
	for _, c := range loadPositives(t) {
		texts = append(texts, c.text)
	}
	texts = append(texts, loadControls(t)...)
	for _, in := range texts {
		once := s.Scrub(in).Text
		twice := s.Scrub(once)
		if twice.Text != once || len(twice.Findings) != 0 {
			t.Errorf("not idempotent:\n  in:    %s\n  once:  %s\n  twice: %s", in, once, twice.Text)
		}
	}
}

// checkInvariants verifies a Result against its input: findings ordered,
// disjoint, inside the text, and the text rebuilt from them.
func checkInvariants(t testing.TB, in string, r Result) {
	t.Helper()
	var b strings.Builder
	pos := 0
	for i, f := range r.Findings {
		if f.Start < pos || f.End <= f.Start || f.End > len(in) || !f.Type.valid() {
			t.Fatalf("bad finding %d %v for %q (all: %v)", i, f, in, r.Findings)
		}
		b.WriteString(strings.ToValidUTF8(in[pos:f.Start], "\uFFFD"))
		b.WriteString(f.Type.Placeholder())
		pos = f.End
	}
	b.WriteString(strings.ToValidUTF8(in[pos:], "\uFFFD"))
	if b.String() != r.Text {
		t.Fatalf("findings do not rebuild the text:\n  in:    %q\n  text:  %q\n  built: %q", in, r.Text, b.String())
	}
}
