package pii

import "strings"

// A numeric run is digits split by short separators ("+86 138-1234-5678",
// "(02) 2345-6789", "6222 0212 3456 7890"). Each contiguous range of its
// groups is classified, so a phone number glued by a space to a quantity
// ("2 13812345678") is still found; overlaps are settled by resolve.

type group struct{ start, end int }

type numRun struct {
	start  int // first byte, including a leading '(' or '+'
	plus   bool
	groups []group
	x      bool // the last group ends with a check character X
}

const (
	maxRunGroups = 8  // groups in one classified range
	maxRunDigits = 25 // digits in one classified range
)

// numbers finds phones, ID numbers, card numbers and long bare numbers.
func (c *collector) numbers(disabled map[Type]bool) {
	s := c.s
	var groups [16]group
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		if gluedBefore(s, i) {
			i = skipToken(s, i)
			continue
		}
		r := numRun{start: i, groups: groups[:0]}
		if i > 0 && s[i-1] == '+' {
			r.plus = true
			r.start = i - 1
		}
		if r.start > 0 && s[r.start-1] == '(' {
			r.start--
		}
		j := i
		for {
			e := j
			for e < len(s) && isDigit(s[e]) {
				e++
			}
			if e < len(s) && s[e]|0x20 == 'x' && !wordAfter(s, e+1) && e-j >= 3 {
				r.x = true
				e++
			}
			r.groups = append(r.groups, group{j, e})
			if r.x || len(r.groups) == cap(groups) {
				j = e
				break
			}
			k := sepEnd(s, e)
			if k == e || k >= len(s) || !isDigit(s[k]) {
				j = e
				break
			}
			j = k
		}
		// A leading '(' belongs to the number only when it encloses a
		// country or area code: "(852) 9123 4567", not "（13812345678）".
		if s[r.start] == '(' && (len(r.groups) < 2 || !strings.Contains(s[r.groups[0].end:r.groups[1].start], ")")) {
			r.start++
		}
		// A trailing group glued to a letter is a unit or part of a code
		// ("2kg", "12345abc"): leave it out.
		last := r.groups[len(r.groups)-1]
		if wordAfter(s, last.end) && !extensionAt(s, last.end) {
			r.groups = r.groups[:len(r.groups)-1]
			r.x = false
			if len(r.groups) == 0 {
				i = skipToken(s, j)
				continue
			}
		}
		c.classifyRun(&r, disabled)
		i = max(j, i+1)
	}
}

// gluedBefore reports whether a digit at i continues a word or code
// ("SF123…", "st-771", "v2.1").
func gluedBefore(s string, i int) bool {
	if wordBefore(s, i) {
		return true
	}
	if i >= 2 && (s[i-1] == '-' || s[i-1] == '.' || s[i-1] == '/' || s[i-1] == '_') && (isASCIILetter(s[i-2]) || s[i-2] == '}') {
		return true
	}
	return false
}

// skipToken returns the end of the ASCII alphanumeric token around i.
func skipToken(s string, i int) int {
	for i < len(s) && (isAlnum(s[i]) || s[i] == '-' || s[i] == '_') {
		i++
	}
	return i
}

// sepEnd returns the end of a group separator starting at i: up to three of
// ' ', '-', '.', '(' and ')', with at most one space and one '-' or '.'.
func sepEnd(s string, i int) int {
	spaces, dashes := 0, 0
	k := i
	for k < len(s) && k-i < 3 {
		switch s[k] {
		case ' ':
			spaces++
		case '-', '.':
			dashes++
		case '(', ')':
		default:
			return k
		}
		if spaces > 1 || dashes > 1 {
			return i
		}
		k++
	}
	return k
}

func (c *collector) classifyRun(r *numRun, disabled map[Type]bool) {
	s := c.s
	ctx, _ := contextBefore(s, r.start)
	var buf [32]byte
	n := len(r.groups)
	for a := 0; a < n; a++ {
		// A range inside a run starts and ends at a space: "2 13812345678"
		// holds a phone, "2024.05.01-2024.05.31" does not.
		if a > 0 && !strings.Contains(s[r.groups[a-1].end:r.groups[a].start], " ") {
			continue
		}
		d := buf[:0]
		for b := a; b < n && b-a < maxRunGroups; b++ {
			if b < n-1 && !strings.Contains(s[r.groups[b].end:r.groups[b+1].start], " ") {
				d = append(d, s[r.groups[b].start:r.groups[b].end]...)
				if len(d) > maxRunDigits {
					break
				}
				continue
			}
			d = append(d, s[r.groups[b].start:r.groups[b].end]...)
			if len(d) > maxRunDigits {
				break
			}
			if len(d) < 7 {
				continue
			}
			hasX := r.x && b == n-1
			if hasX {
				d[len(d)-1] = 'X'
			}
			start := r.groups[a].start
			if a == 0 {
				start = r.start
			}
			rc := rangeCtx{ctx: ctxNone, plus: a == 0 && r.plus}
			if a == 0 {
				rc.ctx = ctx
			}
			rc.whole = a == 0 && b == n-1
			c.classify(string(d), r.groups[a:b+1], start, rc, hasX, disabled)
		}
	}
}

type rangeCtx struct {
	ctx   ctxKind
	plus  bool
	whole bool // the range is the whole run
}

// classify emits every candidate reading of one range of groups.
func (c *collector) classify(d string, gs []group, start int, rc rangeCtx, hasX bool, disabled map[Type]bool) {
	s := c.s
	end := gs[len(gs)-1].end
	n := len(d)

	if !disabled[IDNumber] {
		switch {
		case n == 18 && validID18(d):
			c.add(start, end, IDNumber, prioID)
		case n == 18 && rc.ctx == ctxID && plausibleID18(d):
			c.add(start, end, IDNumber, prioID)
		case n == 15 && !hasX && rc.ctx == ctxID && validID15(d):
			c.add(start, end, IDNumber, prioID)
		}
	}
	if hasX {
		return // only an ID number ends with X
	}
	if !disabled[CardNumber] && !rc.plus && n >= 13 && n <= 19 && cardGroups(s, gs) && cardPrefix(d) {
		switch {
		case rc.ctx == ctxCard:
			c.add(start, end, CardNumber, prioCardContext)
		case luhn(d) && !repetitive(d):
			c.add(start, end, CardNumber, prioCard)
		}
	}
	if !disabled[Phone] {
		if p := phoneReading(s, d, gs, rc); p > 0 {
			e := end
			if p == prioPhone && isLandline(s, d, gs) {
				e = extensionEnd(s, end)
			}
			c.add(start, e, Phone, p)
		}
	}
	if !disabled[OrderNumber] && len(gs) == 1 && n >= 13 && rc.ctx != ctxProduct {
		c.add(start, end, OrderNumber, prioLongNumber)
	}
}

// phoneReading returns the priority of d read as a phone number, 0 if none.
func phoneReading(s string, d string, gs []group, rc rangeCtx) int {
	n := len(d)
	first := s[gs[0].start:gs[0].end]
	if !rc.plus && n == 10 && (strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800")) {
		return 0 // business hotlines (400/800), not a person's number
	}
	switch {
	case !rc.plus && cnMobile(d):
		return prioPhone
	case strings.HasPrefix(d, "86") && cnMobile(d[2:]) && (rc.plus || first == "86" || len(gs) == 1):
		return prioPhone
	case strings.HasPrefix(d, "0086") && cnMobile(d[4:]):
		return prioPhone
	case strings.HasPrefix(d, "852") && n == 11 && strings.ContainsRune("235679", rune(d[3])) && (rc.plus || first == "852"):
		return prioPhone
	case rc.plus && n >= 8 && n <= 15 && d[0] != '0':
		return prioPhone // E.164
	case !rc.plus && strings.HasPrefix(d, "00") && d[2] != '0' && n >= 10 && n <= 17 && (len(gs) > 1 || rc.ctx == ctxPhone):
		return prioPhone // international prefix 00
	case n == 8 && rc.ctx == ctxPhone && strings.ContainsRune("235679", rune(d[0])) && (len(gs) == 1 || len(first) == 4):
		return prioPhone // Hong Kong / Macau after 電話, tel…
	case n == 10 && strings.HasPrefix(d, "09") && !rc.plus:
		return prioPhone // Taiwan mobile
	case !rc.plus && isLandline(s, d, gs):
		return prioPhone
	case !rc.plus && len(gs) == 1 && d[0] == '0' && d[1] != '0' && n >= 10 && n <= 12 && rc.ctx == ctxPhone:
		return prioPhone // unseparated landline after 电话
	case !rc.plus && usPhone(s, d, gs):
		return prioPhone
	case rc.ctx == ctxPhone && rc.whole && n >= 7 && n <= 15:
		return prioPhoneLoose
	}
	return 0
}

func cnMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// isLandline reads "area-local[-ext]": a 2-4 digit area code starting with
// 0 as its own group, then 6-8 local digits not starting with 0, then at most one
// extension group of 1-5 digits. Covers mainland (010-12345678,
// 0755-1234567) and Taiwan (02-2345-6789) landlines.
func isLandline(s, d string, gs []group) bool {
	if len(gs) < 2 {
		return false
	}
	area := gs[0].end - gs[0].start
	if area < 2 || area > 4 || d[0] != '0' || d[1] == '0' {
		return false
	}
	for i := 1; i < len(gs); i++ {
		if strings.ContainsRune(s[gs[i-1].end:gs[i].start], '.') {
			return false
		}
	}
	local, i := 0, 1
	for i < len(gs) && local+gs[i].end-gs[i].start <= 8 {
		if gs[i].end-gs[i].start < 3 {
			return false
		}
		local += gs[i].end - gs[i].start
		i++
	}
	if local < 6 || d[area] == '0' {
		return false
	}
	switch len(gs) - i {
	case 0:
		return true
	case 1:
		return gs[i].end-gs[i].start <= 5
	}
	return false
}

// extensionEnd extends a landline over "转123", "ext. 123", "x123", "分机 123".
func extensionEnd(s string, end int) int {
	i := end
	for i < len(s) && s[i] == ' ' {
		i++
	}
	rest := s[i:]
	matched := false
	for _, p := range []string{"转", "轉", "分机", "分機", "ext.", "ext", "x", "#"} {
		if len(rest) >= len(p) && strings.EqualFold(rest[:len(p)], p) {
			i += len(p)
			matched = true
			break
		}
	}
	if !matched {
		return end
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i || j-i > 6 || wordAfter(s, j) {
		return end
	}
	return j
}

// extensionAt reports "x123" right after a number: an extension, not a code.
func extensionAt(s string, i int) bool {
	return i+1 < len(s) && s[i]|0x20 == 'x' && isDigit(s[i+1])
}

// usPhone reads North American numbers written 415-555-0132, (415) 555-0132
// or 1 415 555 0132.
func usPhone(s, d string, gs []group) bool {
	if len(gs) == 4 && s[gs[0].start:gs[0].end] == "1" {
		gs, d = gs[1:], d[1:]
	}
	if len(gs) != 3 || len(d) != 10 {
		return false
	}
	if gs[0].end-gs[0].start != 3 || gs[1].end-gs[1].start != 3 || gs[2].end-gs[2].start != 4 {
		return false
	}
	// 400 and 800 numbers are business hotlines (China and US toll-free).
	return d[0] >= '2' && d[3] >= '2' && d[:3] != "400" && d[:3] != "800"
}

// cardGroups accepts a card number written whole or in groups split by one
// space or dash.
func cardGroups(s string, gs []group) bool {
	fours := true
	for i, g := range gs {
		l := g.end - g.start
		// Groups of 3+ digits; a short last group only after groups of 4
		// ("6228 4801 2345 6789 00").
		if l < 3 && (i != len(gs)-1 || i == 0 || !fours) {
			return false
		}
		fours = fours && l == 4
		if i > 0 {
			sep := s[gs[i-1].end:g.start]
			if sep != " " && sep != "-" {
				return false
			}
		}
	}
	return true
}

// cardPrefix checks the issuer digit: 13-digit cards are Visa (4); others
// start with 2-6 (Mastercard, Amex, Diners, JCB, Visa, Discover, UnionPay).
// Barcodes and most order numbers fail this or Luhn.
func cardPrefix(d string) bool {
	if len(d) == 13 {
		return d[0] == '4'
	}
	return d[0] >= '2' && d[0] <= '6'
}

func luhn(d string) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// repetitive rejects placeholders people type, like 0000000000000 or 1111….
func repetitive(d string) bool {
	return strings.Count(d, d[:1]) == len(d)
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// validID18 checks an 18-character PRC resident ID: province code, birth
// date and the ISO 7064 MOD 11-2 check character.
func validID18(d string) bool {
	if !plausibleID18(d) {
		return false
	}
	return d[17] == idCheck(d[:17])
}

// idCheck returns the ISO 7064 MOD 11-2 check character of 17 digits.
func idCheck(d17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(d17[i]-'0') * idWeights[i]
	}
	return "10X98765432"[sum%11]
}

// plausibleID18 checks everything but the check character.
func plausibleID18(d string) bool {
	if len(d) != 18 {
		return false
	}
	for i := 0; i < 17; i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	if !isDigit(d[17]) && d[17] != 'X' {
		return false
	}
	return provinceCode(d[:2]) && validDate(atoi(d[6:10]), atoi(d[10:12]), atoi(d[12:14]))
}

// validID15 checks an old 15-digit ID: province code and a 19YYMMDD birth date.
func validID15(d string) bool {
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	return len(d) == 15 && provinceCode(d[:2]) && validDate(1900+atoi(d[6:8]), atoi(d[8:10]), atoi(d[10:12]))
}

func provinceCode(p string) bool {
	switch atoi(p) {
	case 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
		50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83, 91:
		return true
	}
	return false
}

func validDate(y, m, d int) bool {
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
