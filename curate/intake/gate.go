package intake

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// DropReason says why Gate refused an item. The values are stable and
// short, meant as counter labels and for review tooling.
type DropReason string

// Reasons Gate drops an item, in the order Gate checks them.
const (
	// DropNotReusable: the agent marked the reply as not reusable.
	DropNotReusable DropReason = "not_reusable"
	// DropEmpty: the question or the reply is blank.
	DropEmpty DropReason = "empty"
	// DropTransferOnly: the reply only says the case was transferred or
	// escalated ("已为您转接人工", "I've escalated this to our team").
	DropTransferOnly DropReason = "transfer_only"
	// DropHolding: the reply only asks the customer to wait while the agent
	// looks ("您好，请稍等", "let me check").
	DropHolding DropReason = "holding"
	// DropGreetingOnly: the reply is only a greeting ("您好", "hi there").
	DropGreetingOnly DropReason = "greeting_only"
	// DropTooShort: nothing of substance is left once greetings, thanks,
	// apologies and acknowledgements are removed ("好的，谢谢", "OK").
	DropTooShort DropReason = "too_short"
)

// DropReasons lists every DropReason, for counters that report zeros too.
func DropReasons() []DropReason {
	return []DropReason{DropNotReusable, DropEmpty, DropTransferOnly, DropHolding, DropGreetingOnly, DropTooShort}
}

// minContent is the least content a reply must keep once boilerplate is
// removed: two units, a unit being one Han (or kana, hangul) character or
// one run of letters and digits, so that "包邮" and "free shipping" pass
// and "好" or "yes" does not.
const minContent = 2

// Gate decides whether item is worth becoming a knowledge candidate. It
// drops items the agent marked not reusable, items with a blank question
// or reply, and replies that are nothing but boilerplate: a greeting, a
// request to wait, a note that the case was transferred, or thanks and
// acknowledgements. A reply that has real content passes whatever
// boilerplate surrounds it ("您好，退货请在订单页点击申请售后。"). Chinese
// (simplified and traditional) and English phrasing are recognized; the
// check is by phrase patterns, cheap enough for every webhook.
func Gate(item Resolved) (ok bool, reason DropReason) {
	if item.Reusable != nil && !*item.Reusable {
		return false, DropNotReusable
	}
	if strings.TrimSpace(item.Question) == "" || strings.TrimSpace(item.Reply) == "" {
		return false, DropEmpty
	}
	if reason := classify(item.Reply); reason != "" {
		return false, reason
	}
	return true, ""
}

// classify returns why text is boilerplate, or "" when it has content.
//
// It walks the normalized text left to right: space, punctuation and
// symbols are skipped; a boilerplate phrase starting here is consumed and
// its kind noted; a filler character is skipped; otherwise one content
// unit is consumed (a Han character, or a whole run of letters and digits).
// It stops as soon as minContent units are seen, so a real answer costs a
// few anchored matches however long it is.
func classify(text string) DropReason {
	s := gateNormalize(text)
	if strings.TrimSpace(s) == "" {
		return DropEmpty
	}
	var seen [numKinds]bool
	units := 0
	for pos := 0; pos < len(s); {
		r, size := utf8.DecodeRuneInString(s[pos:])
		if !isHan(r) && !isWordRune(r) {
			pos += size
			continue
		}
		if n, k := matchPhrase(s[pos:], r); n > 0 {
			seen[k] = true
			pos += n
			continue
		}
		if strings.ContainsRune(fillers, r) {
			pos += size
			continue
		}
		units++
		if units >= minContent {
			return ""
		}
		pos += size
		if !isHan(r) { // the rest of the word
			for pos < len(s) {
				r, size := utf8.DecodeRuneInString(s[pos:])
				if !isWordRune(r) && r != '\'' {
					break
				}
				pos += size
			}
		}
	}
	switch {
	case units > 0:
		return DropTooShort
	case seen[kindTransfer]:
		return DropTransferOnly
	case seen[kindHolding]:
		return DropHolding
	case seen[kindGreeting] && !seen[kindPolite]:
		return DropGreetingOnly
	}
	return DropTooShort
}

// gateNormalize folds width and compatibility forms (NFKC: "ｈｉ" → "hi",
// "，" → ","), lower-cases and writes typographic apostrophes as "'".
func gateNormalize(s string) string {
	return apostrophes.Replace(strings.ToLower(norm.NFKC.String(s)))
}

var apostrophes = strings.NewReplacer("’", "'", "‘", "'", "`", "'")

// fillers are sentence particles and interjections that carry no content.
const fillers = "呢吧啊呀哦噢喔哟喲呦啦嘛哈嗯恩额額呃唔么麼嘻"

// isHan reports CJK characters, each one content unit.
func isHan(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// isWordRune reports letters and digits other than CJK.
func isWordRune(r rune) bool {
	return !isHan(r) && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
}
