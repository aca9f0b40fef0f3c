package pii

import (
	"regexp"
	"strings"
)

// Order and tracking numbers have no checksum; they are found by what
// precedes them ("订单号：", "运单号", "order #", "tracking number"), by
// carrier formats, and by a shop's own patterns.

// tokens scans ASCII alphanumeric tokens (with '-' and '_') for order and
// tracking numbers: after a keyword, in a list that follows a keyword
// ("订单号 A123456、A123457"), or in a carrier format.
func (c *collector) tokens(noOrder, noTracking bool) {
	if noOrder && noTracking {
		return
	}
	s := c.s
	var listKind ctxKind
	listEnd := -1
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		if wordBefore(s, i) || i > 0 && s[i-1] == '-' {
			i = skipToken(s, i)
			continue
		}
		start := i
		end := skipToken(s, i)
		for end > start && (s[end-1] == '-' || s[end-1] == '_') {
			end--
		}
		i = max(end, start+1)
		if wordAfter(s, end) {
			continue
		}
		tok := s[start:end]
		digits := 0
		for j := 0; j < len(tok); j++ {
			if isDigit(tok[j]) {
				digits++
			}
		}
		if digits < 4 {
			continue
		}
		typ := Type("")
		if t := carrierType(tok); t != "" {
			typ = t
		} else {
			kind, strong := contextBefore(s, start)
			if kind != ctxOrder && kind != ctxTracking && listEnd >= 0 && listSeparator(s[listEnd:start]) {
				kind, strong = listKind, true
			}
			if (kind == ctxOrder || kind == ctxTracking) && keyedValue(tok, digits, strong) {
				typ = OrderNumber
				if kind == ctxTracking {
					typ = TrackingNumber
				}
			}
		}
		if typ == OrderNumber && noOrder || typ == TrackingNumber && noTracking || typ == "" {
			continue
		}
		c.add(start, end, typ, prioKeyed)
		listKind, listEnd = ctxOrder, end
		if typ == TrackingNumber {
			listKind = ctxTracking
		}
	}
}

var dateToken = regexp.MustCompile(`^\d{4}[-_]\d{1,2}[-_]\d{1,2}$|^\d{1,2}[-_]\d{1,2}[-_]\d{4}$`)

// keyedValue decides whether a token after an order/tracking keyword is a
// reference: at least 4 digits and 5 characters after an explicit keyword
// ("订单号", "order #"), at least 8 digits after a bare "订单" / "order"
// ("订单 3 件" and "order 2 items" are not references), never a date.
func keyedValue(tok string, digits int, strong bool) bool {
	if len(tok) < 5 || len(tok) > 40 || dateToken.MatchString(tok) {
		return false
	}
	if strong {
		return true
	}
	return digits >= 8 && !compactDate(tok)
}

// compactDate reports a yyyymmdd date ("订单20240501下的").
func compactDate(tok string) bool {
	return len(tok) == 8 && (tok[:2] == "19" || tok[:2] == "20") && validDate(atoi(tok[:4]), atoi(tok[4:6]), atoi(tok[6:]))
}

// listSeparator reports text between two references of one list.
func listSeparator(between string) bool {
	t := strings.TrimSpace(between)
	switch strings.ToLower(t) {
	case ",", "、", "/", "和", "及", "与", "與", "&", ";", "and", "or", "或":
		return true
	}
	return false
}

// carrierRE matches the common carriers' formats: SF Express, JD
// Logistics, J&T, YTO/ZTO/STO/Yunda-style prefixes, Cainiao, UPS, 4PX and
// UPU S10 (EMS and postal: EA123456789CN).
var carrierRE = regexp.MustCompile(`^(?:(?i:SF\d{12,15}|JD[A-Z]{0,2}\d{10,15}|JT\d{13}|YT\d{12,18}|(?:YTO|ZTO|STO|ZT|YD|YUNDA|DPK|LP|TT|BEST)\d{10,18}|4PX[0-9A-Z]{8,22}|1Z[0-9A-Z]{16})|[A-Z]{2}\d{9}[A-Z]{2}|(?:9[2-5])\d{20})$`)

func carrierType(tok string) Type {
	if len(tok) < 12 || len(tok) > 25 {
		return ""
	}
	if carrierRE.MatchString(tok) {
		return TrackingNumber
	}
	return ""
}

// patterns adds the matches of a shop's configured patterns.
func (c *collector) patterns(res []*regexp.Regexp, t Type, off bool) {
	if off {
		return
	}
	for _, re := range res {
		for _, m := range re.FindAllStringIndex(c.s, -1) {
			if m[0] == m[1] || wordBefore(c.s, m[0]) || wordAfter(c.s, m[1]) {
				continue
			}
			c.add(m[0], m[1], t, prioKeyed)
		}
	}
}

// emailRE matches, from the start of a local part, addresses with any RFC
// 5322 atom characters in the local part (but not braces, which mark
// placeholders), or a quoted local part, and a dotted domain whose
// top-level label is alphabetic or punycode.
var emailRE = regexp.MustCompile("^(?:[A-Za-z0-9!#$%&'*+/=?^_`|~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`|~-]+)*|\"(?:[^\"\\\\\\r\\n]|\\\\.){1,64}\")" +
	`@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:xn--[A-Za-z0-9-]{2,59}|[A-Za-z]{2,63})`)

// emails starts at each '@', walks back to the start of the local part and
// matches emailRE there.
func (c *collector) emails() {
	s := c.s
	from := 0
	for {
		k := strings.IndexByte(s[from:], '@')
		if k < 0 {
			return
		}
		at := from + k
		from = at + 1
		j := at
		if j > 0 && s[j-1] == '"' {
			if q := strings.LastIndexByte(s[:j-1], '"'); q >= 0 {
				j = q
			}
		} else {
			// A local part has at most 64 characters (RFC 5321).
			for j > 0 && at-j < 64 && (atomChar(s[j-1]) || s[j-1] == '.') {
				j--
			}
			for j < at && s[j] == '.' {
				j++
			}
		}
		if m := emailRE.FindStringIndex(window(s, j, at-j+256)); m != nil && j+m[1] > at {
			c.add(j, j+m[1], Email, prioEmail)
			from = j + m[1]
		}
	}
}

func atomChar(b byte) bool {
	return isAlnum(b) || strings.IndexByte("!#$%&'*+/=?^_`|~-", b) >= 0
}
