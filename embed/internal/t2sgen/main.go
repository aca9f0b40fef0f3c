// Command t2sgen generates embed/t2s_table.go, the traditional → simplified
// Chinese tables used by embed.Normalize, from OpenCC's dictionaries.
//
// It dumps TSCharacters, TSPhrases, TWVariantsRev and HKVariantsRev with
// opencc_dict (or reads text dumps given with -txt), derives:
//
//   - a character table: every TSCharacters entry whose first candidate
//     differs from the key, plus Taiwan/Hong Kong variant characters folded
//     through their standard traditional form (variant → traditional →
//     simplified) where every step is a single character, the traditional
//     form really simplifies, and the variant is not itself a character that
//     simplified text uses; chains are resolved so that no value is a key;
//   - a phrase table: TSPhrases entries rewritten into the character-level
//     domain (key = the phrase after the character table), kept only where
//     they change something, keep their length, produce characters the
//     character table leaves alone, introduce no secondary-only simplified
//     form (锺, 钜 …) that everyday simplified text does not use, and cannot
//     overlap another phrase's output (which would make normalization
//     non-idempotent);
//
// and writes a gofmt'd Go file. Run it through go generate in embed/:
//
//	//go:generate go run ./internal/t2sgen
//
// The data comes from OpenCC (https://github.com/BYVoid/OpenCC), Apache
// License 2.0; the generated file records the data version.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Dictionaries read, by base name.
const (
	dictChars   = "TSCharacters"
	dictPhrases = "TSPhrases"
	dictTW      = "TWVariantsRev"
	dictHK      = "HKVariantsRev"
)

// minChars guards against a truncated or wrong dictionary.
const minChars = 4000

func main() {
	log.SetFlags(0)
	log.SetPrefix("t2sgen: ")
	var (
		dicts   = flag.String("dicts", "/usr/share/opencc", "directory holding OpenCC's .ocd2 dictionaries")
		txt     = flag.String("txt", "", "directory holding text dumps (TSCharacters.txt …) to read instead of running opencc_dict")
		tool    = flag.String("tool", "opencc_dict", "opencc_dict binary")
		version = flag.String("version", "", `OpenCC data version, e.g. "1.1.6+ds1-1" (default: ask dpkg-query for libopencc-data)`)
		out     = flag.String("o", "t2s_table.go", "output file")
	)
	flag.Parse()
	if err := run(*dicts, *txt, *tool, *version, *out); err != nil {
		log.Fatal(err)
	}
}

func run(dicts, txt, tool, version, out string) error {
	if version == "" {
		v, err := debianVersion()
		if err != nil {
			return fmt.Errorf("finding the OpenCC data version (pass -version): %w", err)
		}
		version = v
	}
	src := source{dicts: dicts, txt: txt, tool: tool}
	ts, err := src.load(dictChars)
	if err != nil {
		return err
	}
	phrases, err := src.load(dictPhrases)
	if err != nil {
		return err
	}
	tw, err := src.load(dictTW)
	if err != nil {
		return err
	}
	hk, err := src.load(dictHK)
	if err != nil {
		return err
	}
	chars, notes, err := buildChars(ts, tw, hk)
	if err != nil {
		return err
	}
	ph, phNotes := buildPhrases(ts, chars, phrases)
	notes = append(notes, phNotes...)
	code, err := render(version, chars, ph)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, code, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	for _, n := range notes {
		log.Print(n)
	}
	log.Printf("wrote %s: %d characters, %d phrases (OpenCC %s)", out, len(chars), len(ph), version)
	return nil
}

// debianVersion asks dpkg for the installed OpenCC data package version.
func debianVersion() (string, error) {
	b, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "libopencc-data").Output()
	if err != nil {
		return "", fmt.Errorf("dpkg-query libopencc-data: %w", err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", errors.New("dpkg-query libopencc-data: empty version")
	}
	return v, nil
}

// upstreamVersion strips Debian's repack and revision suffixes: "1.1.6+ds1-1" → "1.1.6".
func upstreamVersion(v string) string {
	if i := strings.IndexAny(v, "+-~"); i > 0 {
		return v[:i]
	}
	return v
}

// entry is one dictionary line: a key and its candidates, best first.
type entry struct {
	key   string
	cands []string
}

// source finds dictionaries as text dumps or by running opencc_dict.
type source struct{ dicts, txt, tool string }

func (s source) load(name string) (_ []entry, err error) {
	if s.txt != "" {
		return readDump(filepath.Join(s.txt, name+".txt"))
	}
	dir, err := os.MkdirTemp("", "t2sgen")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	dump := filepath.Join(dir, name+".txt")
	cmd := exec.Command(s.tool, "-i", filepath.Join(s.dicts, name+".ocd2"), "-o", dump, "-f", "ocd2", "-t", "text")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("running %s for %s: %w: %s", s.tool, name, err, bytes.TrimSpace(b))
	}
	return readDump(dump)
}

// readDump parses opencc_dict's text format: key TAB candidate SPACE candidate….
func readDump(path string) (_ []entry, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading dictionary: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	return parseDump(f, path)
}

func parseDump(r io.Reader, name string) ([]entry, error) {
	var es []entry
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		key, rest, ok := strings.Cut(line, "\t")
		cands := strings.Fields(rest)
		if !ok || key == "" || len(cands) == 0 || !utf8.ValidString(line) {
			return nil, fmt.Errorf("%s:%d: malformed line %q", name, n, line)
		}
		es = append(es, entry{key: key, cands: cands})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return es, nil
}

// single returns the only rune of s.
func single(s string) (rune, bool) {
	r, n := utf8.DecodeRuneInString(s)
	return r, n == len(s) && r != utf8.RuneError
}

// nfkcStable reports whether s survives NFKC unchanged (the normalizer
// applies NFKC first, so table strings must be NFKC-normal).
func nfkcStable(s string) bool { return norm.NFKC.IsNormalString(s) }

// buildChars derives the character table; see the package comment.
func buildChars(ts, tw, hk []entry) (map[rune]rune, []string, error) {
	var notes []string
	chars := map[rune]rune{}
	tsKeys := map[rune]bool{}   // every TSCharacters key, self-mapped ones included
	tsValues := map[rune]bool{} // every candidate: characters simplified text uses
	for _, e := range ts {
		k, ok := single(e.key)
		if !ok {
			return nil, nil, fmt.Errorf("%s: key %q is not one character", dictChars, e.key)
		}
		tsKeys[k] = true
		for _, c := range e.cands {
			if v, ok := single(c); ok {
				tsValues[v] = true
			}
		}
		v, ok := single(e.cands[0])
		if !ok {
			return nil, nil, fmt.Errorf("%s: value %q of %q is not one character", dictChars, e.cands[0], e.key)
		}
		if v != k {
			chars[k] = v
		}
	}
	self := len(tsKeys) - len(chars)
	notes = append(notes, fmt.Sprintf("%s: %d entries, %d map to themselves first (ambiguous, left as is)", dictChars, len(ts), self))
	base := maps(chars)
	for _, d := range []struct {
		name string
		es   []entry
	}{{dictTW, tw}, {dictHK, hk}} {
		added := 0
		for _, e := range d.es {
			v, ok1 := single(e.key)
			t, ok2 := single(e.cands[0])
			if !ok1 || !ok2 || tsKeys[v] || tsValues[v] {
				continue
			}
			s, ok := base[t]
			if !ok || s == v {
				continue
			}
			if old, dup := chars[v]; dup {
				if old != s {
					notes = append(notes, fmt.Sprintf("%s: %c → %c conflicts with %c, kept %c", d.name, v, s, old, old))
				}
				continue
			}
			chars[v] = s
			added++
		}
		notes = append(notes, fmt.Sprintf("%s: %d variants folded", d.name, added))
	}
	if err := resolveChains(chars); err != nil {
		return nil, nil, err
	}
	for k, v := range chars {
		if !nfkcStable(string(v)) {
			return nil, nil, fmt.Errorf("value %c (%U) of %c is not NFKC-normal", v, v, k)
		}
		if !nfkcStable(string(k)) {
			delete(chars, k) // NFKC runs first: such a key would never be seen
			notes = append(notes, fmt.Sprintf("dropped %c (%U): not NFKC-normal", k, k))
		}
	}
	if len(chars) < minChars {
		return nil, nil, fmt.Errorf("only %d characters (want at least %d): wrong dictionary?", len(chars), minChars)
	}
	return chars, notes, nil
}

func maps(m map[rune]rune) map[rune]rune {
	c := make(map[rune]rune, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// resolveChains rewrites k → v → w into k → w so that no value is a key,
// which makes the conversion idempotent.
func resolveChains(chars map[rune]rune) error {
	for k := range chars {
		v, seen := chars[k], map[rune]bool{k: true}
		for {
			w, ok := chars[v]
			if !ok {
				break
			}
			if seen[v] {
				return fmt.Errorf("cycle in character table at %c", k)
			}
			seen[v] = true
			v = w
		}
		chars[k] = v
	}
	return nil
}

// phrase is one phrase rewrite in the character-level domain.
type phrase struct {
	from, to string // equal rune counts
	orig     string // the OpenCC key, for notes
}

// buildPhrases derives the phrase table; see the package comment.
func buildPhrases(ts []entry, chars map[rune]rune, es []entry) ([]phrase, []string) {
	secondary := secondaryForms(ts)
	conv := func(s string) string {
		return strings.Map(func(r rune) rune {
			if v, ok := chars[r]; ok {
				return v
			}
			return r
		}, s)
	}
	byFrom := map[string]phrase{}
	ambiguous := map[string]bool{}
	var skipped int
	for _, e := range es {
		from, to := conv(e.key), e.cands[0]
		if !usefulPhrase(from, to, conv, secondary) {
			skipped++
			continue
		}
		if old, dup := byFrom[from]; dup && old.to != to {
			ambiguous[from] = true
		}
		byFrom[from] = phrase{from: from, to: to, orig: e.key}
	}
	var ps []phrase
	for from, p := range byFrom {
		if !ambiguous[from] {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b phrase) int { return strings.Compare(a.from, b.from) })
	notes := []string{fmt.Sprintf("%s: %d entries, %d not needed or not safe, %d ambiguous", dictPhrases, len(es), skipped, len(ambiguous))}
	ps, dropped := removeOverlaps(ps)
	for _, d := range dropped {
		notes = append(notes, fmt.Sprintf("%s: dropped %s (%s → %s): overlaps %s → %s", dictPhrases, d.p.orig, d.p.from, d.p.to, d.other.from, d.other.to))
	}
	return ps, notes
}

// usefulPhrase reports whether the rewrite from → to (from already converted
// character by character) is worth keeping and safe.
func usefulPhrase(from, to string, conv func(string) string, secondary map[rune]bool) bool {
	if from == to || utf8.RuneCountInString(from) != utf8.RuneCountInString(to) {
		return false // nothing to do, or truncation would not commute
	}
	if conv(to) != to || !nfkcStable(from) || !nfkcStable(to) {
		return false // the output must be a fixed point of the character table
	}
	fr, tr := []rune(from), []rune(to)
	for i := range fr {
		if fr[i] != tr[i] && secondary[tr[i]] {
			return false
		}
	}
	return true
}

// secondaryForms are characters that TSCharacters offers only as a later
// candidate of a character whose first candidate is a different character
// (鍾 → 钟 锺): everyday simplified text writes the first candidate, which
// the character table already produces, so a phrase choosing the secondary
// form would split the two spellings apart.
func secondaryForms(ts []entry) map[rune]bool {
	first := map[rune]bool{}
	for _, e := range ts {
		if r, ok := single(e.cands[0]); ok {
			first[r] = true
		}
	}
	sec := map[rune]bool{}
	for _, e := range ts {
		if e.cands[0] == e.key {
			continue
		}
		for _, c := range e.cands[1:] {
			if r, ok := single(c); ok && !first[r] {
				sec[r] = true
			}
		}
	}
	return sec
}

type overlap struct{ p, other phrase }

// removeOverlaps drops phrases until no phrase key can overlap any phrase
// output consistently. Then a converted text never contains a key (a key
// occurrence in the output would have to overlap an output span), so a
// second conversion changes nothing. Of two conflicting phrases the one with
// the longer key goes (ties: the greater key); it is usually redundant.
func removeOverlaps(ps []phrase) ([]phrase, []overlap) {
	var dropped []overlap
	for {
		i, j, found := firstOverlap(ps)
		if !found {
			return ps, dropped
		}
		victim, other := i, j
		if loses(ps[j], ps[i]) {
			victim, other = j, i
		}
		dropped = append(dropped, overlap{p: ps[victim], other: ps[other]})
		ps = slices.Delete(ps, victim, victim+1)
	}
}

// loses reports whether a should be dropped rather than b.
func loses(a, b phrase) bool {
	la, lb := utf8.RuneCountInString(a.from), utf8.RuneCountInString(b.from)
	if la != lb {
		return la > lb
	}
	return a.from > b.from
}

// firstOverlap finds a phrase i whose key overlaps phrase j's output.
func firstOverlap(ps []phrase) (int, int, bool) {
	for i := range ps {
		k := []rune(ps[i].from)
		for j := range ps {
			if overlaps(k, []rune(ps[j].to)) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// overlaps reports whether key, placed at some offset against out, shares at
// least one position with it and agrees on every shared position.
func overlaps(key, out []rune) bool {
	for shift := -len(key) + 1; shift < len(out); shift++ {
		agree := true
		for i, r := range key {
			if j := shift + i; j >= 0 && j < len(out) && out[j] != r {
				agree = false
				break
			}
		}
		if agree {
			return true
		}
	}
	return false
}

// render writes the Go source of t2s_table.go.
func render(version string, chars map[rune]rune, ps []phrase) ([]byte, error) {
	keys := make([]rune, 0, len(chars))
	for k := range chars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Code generated by "go run ./internal/t2sgen"; DO NOT EDIT.

// The tables in this file are derived from OpenCC
// (https://github.com/BYVoid/OpenCC), Copyright (c) Carbo Kuo (BYVoid) and
// contributors, licensed under the Apache License, Version 2.0
// (https://www.apache.org/licenses/LICENSE-2.0).
//
// Source data: OpenCC %s as packaged by Debian (libopencc-data %s):
// %s, %s, %s and %s.

package embed

// t2sDataVersion is the OpenCC version the tables come from.
const t2sDataVersion = %q

// t2sPairs maps traditional and variant characters to simplified ones as
// key, value pairs sorted by key. No value is also a key.
var t2sPairs = [...]uint32{
`, upstreamVersion(version), version, dictChars, dictTW, dictHK, dictPhrases, upstreamVersion(version))
	const perLine = 6
	for i := 0; i < len(keys); i += perLine {
		line := keys[i:min(i+perLine, len(keys))]
		var nums, comment strings.Builder
		for _, k := range line {
			fmt.Fprintf(&nums, "0x%04X, 0x%04X, ", k, chars[k])
			fmt.Fprintf(&comment, " %c%c", k, chars[k])
		}
		fmt.Fprintf(&b, "\t%s//%s\n", nums.String(), comment.String())
	}
	b.WriteString(`}

// t2sPhrases are phrase rewrites applied after the character table,
// longest match first: {from, to}, sorted by from. from is an OpenCC phrase
// after character conversion; to has the same number of characters.
var t2sPhrases = [...][2]string{
`)
	for _, p := range ps {
		fmt.Fprintf(&b, "\t{%q, %q}, // %s\n", p.from, p.to, p.orig)
	}
	b.WriteString("}\n")
	code, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %w", err)
	}
	return code, nil
}
