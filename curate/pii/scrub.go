package pii

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Type is the kind of personal data a finding holds. Its placeholder in
// scrubbed text is the type in braces, e.g. "{phone}".
type Type string

// The finding types, in no particular order.
const (
	Phone          Type = "phone"
	Email          Type = "email"
	IDNumber       Type = "id_number"
	CardNumber     Type = "card_number"
	OrderNumber    Type = "order_number"
	TrackingNumber Type = "tracking_number"
	Address        Type = "address"
	Name           Type = "name"
)

var allTypes = []Type{Phone, Email, IDNumber, CardNumber, OrderNumber, TrackingNumber, Address, Name}

// Types returns every finding type.
func Types() []Type { return slices.Clone(allTypes) }

var placeholderText = func() map[Type]string {
	m := make(map[Type]string, len(allTypes))
	for _, t := range allTypes {
		m[t] = "{" + string(t) + "}"
	}
	return m
}()

// Placeholder returns the text that replaces a finding of type t.
func (t Type) Placeholder() string {
	if p, ok := placeholderText[t]; ok {
		return p
	}
	return "{" + string(t) + "}"
}

func (t Type) valid() bool { return slices.Contains(allTypes, t) }

// Finding locates one piece of personal data that was replaced. Start and
// End are byte offsets into the original text (End exclusive). A Finding
// never carries the data itself, so a Result is safe to log or store.
type Finding struct {
	Type  Type `json:"type"`
	Start int  `json:"start"`
	End   int  `json:"end"`
}

// Result is a scrubbed text and what was removed from it.
type Result struct {
	// Text is the input with every finding replaced by its placeholder and
	// every invalid UTF-8 sequence replaced by U+FFFD.
	Text string `json:"text"`
	// Findings are ordered by Start and never overlap.
	Findings []Finding `json:"findings,omitempty"`
}

// Counts returns how many findings of each type the result holds.
func (r Result) Counts() map[Type]int {
	m := make(map[Type]int, len(r.Findings))
	for _, f := range r.Findings {
		m[f.Type]++
	}
	return m
}

// Scrubber removes personal data from text. It is immutable after New and
// safe for concurrent use.
type Scrubber struct {
	order, tracking []*regexp.Regexp
	disabled        map[Type]bool
	surnames        map[string]bool
}

// New validates cfg and builds a Scrubber.
func New(cfg Config) (*Scrubber, error) {
	order, tracking, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	s := &Scrubber{order: order, tracking: tracking, disabled: map[Type]bool{}, surnames: builtinSurnames}
	for _, t := range cfg.Disable {
		s.disabled[t] = true
	}
	if len(cfg.ExtraSurnames) > 0 {
		s.surnames = make(map[string]bool, len(builtinSurnames)+len(cfg.ExtraSurnames))
		for k := range builtinSurnames {
			s.surnames[k] = true
		}
		for _, k := range cfg.ExtraSurnames {
			s.surnames[k] = true
		}
	}
	return s, nil
}

// Priorities decide overlaps: the higher wins, then the longer span, then
// the earlier one. Validated and context-keyed types outrank bare formats.
const (
	prioKeep        = 1000 // an existing placeholder: never touched
	prioEmail       = 100
	prioID          = 90 // checksum-valid, or ID context
	prioCardContext = 85 // after 卡号 / card
	prioKeyed       = 80 // order/tracking by context, carrier format or shop pattern
	prioCard        = 70 // Luhn-valid, no context
	prioPhone       = 60 // phone formats
	prioPhoneLoose  = 55 // any 7-15 digits right after 电话 / tel
	prioAddress     = 50 // street addresses
	prioName        = 40 // names after salutations
	prioLongNumber  = 20 // 13+ bare digits nothing else claims
	keepType        = Type("")
)

// span is a candidate finding in the detection view's offsets.
type span struct {
	start, end int
	typ        Type
	prio       int
}

// maxRounds bounds the re-scans of a scrubbed text (see Scrub).
const maxRounds = 4

// Scrub replaces every piece of personal data in text by its placeholder.
// It never fails: invalid UTF-8 is replaced by U+FFFD in the output (and
// offsets still refer to the original bytes). Scrubbing a scrubbed text
// returns it unchanged.
//
// Replacing data changes what its neighbours look like (a name cut short by
// an overlapping email, a number no longer glued to a letter), so Scrub
// scans its own result again and adds what that scan finds, until a scan
// finds nothing. Text with nothing to scrub is scanned once.
func (s *Scrubber) Scrub(text string) Result {
	if text == "" {
		return Result{}
	}
	v := newView(text)
	chosen := s.detect(v.s)
	for round := 0; round < maxRounds && len(chosen) > 0; round++ {
		sub, regions := substitute(v.s, chosen)
		more := s.detect(sub)
		if len(more) == 0 {
			break
		}
		chosen = merge(chosen, more, regions)
	}
	return render(text, &v, chosen)
}

// detect returns the chosen spans of one scan of a detection view.
func (s *Scrubber) detect(text string) []span {
	c := collector{s: text}
	c.placeholders()
	if !s.disabled[Email] {
		c.emails()
	}
	c.numbers(s.disabled)
	c.tokens(s.disabled[OrderNumber], s.disabled[TrackingNumber])
	c.patterns(s.order, OrderNumber, s.disabled[OrderNumber])
	c.patterns(s.tracking, TrackingNumber, s.disabled[TrackingNumber])
	if !s.disabled[Address] {
		c.addresses()
	}
	if !s.disabled[Name] {
		c.names(s.surnames)
	}
	return resolve(text, c.spans)
}

// region is a stretch of text copied unchanged into a substituted text.
type region struct{ sub, orig, n int }

// substitute replaces the chosen spans of s by their placeholders and
// returns the regions of s that were copied.
func substitute(s string, chosen []span) (string, []region) {
	var b strings.Builder
	b.Grow(len(s) + 16*len(chosen))
	regions := make([]region, 0, len(chosen)+1)
	pos := 0
	for _, c := range chosen {
		regions = append(regions, region{b.Len(), pos, c.start - pos})
		b.WriteString(s[pos:c.start])
		b.WriteString(c.typ.Placeholder())
		pos = c.end
	}
	regions = append(regions, region{b.Len(), pos, len(s) - pos})
	b.WriteString(s[pos:])
	return b.String(), regions
}

// merge maps spans found in a substituted text back through its regions
// and adds them to chosen. A new span never overlaps a placeholder (they
// are protected), so it lies in one region; should it reach over an old
// span anyway, the two become one.
func merge(chosen, more []span, regions []region) []span {
	toOrig := func(x int, end bool) int {
		for _, r := range regions {
			if x >= r.sub && x < r.sub+r.n || end && x == r.sub+r.n {
				return r.orig + x - r.sub
			}
		}
		// Inside a placeholder (cannot happen): snap to the region before it.
		o := 0
		for _, r := range regions {
			if r.sub <= x {
				o = r.orig + r.n
			}
		}
		return o
	}
	for _, m := range more {
		m.start, m.end = toOrig(m.start, false), toOrig(m.end, true)
		out := chosen[:0:0]
		for _, c := range chosen {
			if c.end <= m.start || c.start >= m.end {
				out = append(out, c)
				continue
			}
			m.start, m.end = min(m.start, c.start), max(m.end, c.end)
		}
		i, _ := slices.BinarySearchFunc(out, m.start, func(e span, t int) int { return e.start - t })
		chosen = slices.Insert(out, i, m)
	}
	return chosen
}

// collector gathers candidate spans over the detection view.
type collector struct {
	s     string
	spans []span
}

func (c *collector) add(start, end int, t Type, prio int) {
	if start < end {
		c.spans = append(c.spans, span{start, end, t, prio})
	}
}

// placeholders protects placeholders already in the text, so scrubbing is
// idempotent and a placeholder is never matched as data.
func (c *collector) placeholders() {
	s := c.s
	for i := strings.IndexByte(s, '{'); i >= 0; {
		for _, t := range allTypes {
			if p := t.Placeholder(); strings.HasPrefix(s[i:], p) {
				c.add(i, i+len(p), keepType, prioKeep)
				break
			}
		}
		j := strings.IndexByte(s[i+1:], '{')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

// resolve picks non-overlapping spans: higher priority first, then longer,
// then earlier. An address that overlaps a chosen span of another type
// keeps its uncovered pieces, since an address cut by a phone number is
// still an address. It returns the chosen spans ordered by start, placeholders
// already in the text excluded.
func resolve(s string, cands []span) []span {
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, func(a, b span) int {
		if a.prio != b.prio {
			return b.prio - a.prio
		}
		if la, lb := a.end-a.start, b.end-b.start; la != lb {
			return lb - la
		}
		if a.start != b.start {
			return a.start - b.start
		}
		return strings.Compare(string(a.typ), string(b.typ))
	})
	var taken []span // ordered by start
	insert := func(x span) {
		i, _ := slices.BinarySearchFunc(taken, x.start, func(e span, t int) int { return e.start - t })
		taken = slices.Insert(taken, i, x)
	}
	for _, c := range cands {
		pieces := []span{c}
		for _, t := range taken {
			if t.end <= c.start || t.start >= c.end {
				continue
			}
			if c.typ != Address || t.typ == Address {
				pieces = nil
				break
			}
			var next []span
			for _, p := range pieces {
				if t.end <= p.start || t.start >= p.end {
					next = append(next, p)
					continue
				}
				if p.start < t.start {
					next = append(next, span{p.start, t.start, p.typ, p.prio})
				}
				if t.end < p.end {
					next = append(next, span{t.end, p.end, p.typ, p.prio})
				}
			}
			pieces = next
		}
		for _, p := range pieces {
			if c.typ == Address {
				p.start, p.end = trimPiece(s, p.start, p.end)
				if p.start >= p.end {
					continue
				}
			}
			insert(p)
		}
	}
	out := taken[:0]
	for _, t := range taken {
		if t.typ != keepType {
			out = append(out, t)
		}
	}
	return out
}

// trimPiece trims spaces and punctuation from both ends of an address
// piece; a piece with no letter, digit or Han character becomes empty.
func trimPiece(s string, start, end int) (int, int) {
	for start < end {
		r, n := utf8.DecodeRuneInString(s[start:end])
		if isSubstantive(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(s[start:end])
		if isSubstantive(r) {
			break
		}
		end -= n
	}
	return start, end
}

// render builds the Result from the original text and the chosen spans.
func render(text string, v *view, chosen []span) Result {
	valid := v.off == nil || utf8.ValidString(text)
	var b strings.Builder
	b.Grow(len(text))
	copyText := func(seg string) {
		if valid {
			b.WriteString(seg)
		} else {
			b.WriteString(strings.ToValidUTF8(seg, "\uFFFD"))
		}
	}
	var findings []Finding
	if len(chosen) > 0 {
		findings = make([]Finding, 0, len(chosen))
	}
	pos := 0
	for _, c := range chosen {
		start, end := v.orig(c.start), v.orig(c.end)
		copyText(text[pos:start])
		b.WriteString(c.typ.Placeholder())
		findings = append(findings, Finding{Type: c.typ, Start: start, End: end})
		pos = end
	}
	copyText(text[pos:])
	return Result{Text: b.String(), Findings: findings}
}
