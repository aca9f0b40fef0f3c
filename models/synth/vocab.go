package synth

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// specialsCount is the number of ids of the bert-base-chinese special layout:
// [PAD] 0, [unused1..99] 1-99, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103.
const specialsCount = 104

// DefaultVocab returns a WordPiece vocabulary of size tokens (at least the
// 104 special ids) in bert-base-chinese's layout: the specials, then in order
// of priority ASCII punctuation, letters and digits (lowercase only: the
// generated normalizer lowercases), "##" continuations of every letter and
// digit (so no Latin word is ever unknown), common customer-service English
// words and suffixes, CJK punctuation, the 6763 simplified characters of
// GB 2312 (its 3755 level-1 characters first), then the rest of the CJK
// Unified Ideographs U+4E00-U+9FA5 in code point order. A size beyond all of
// these is filled with [unusedN] tokens.
func DefaultVocab(size int) []string {
	base := defaultTokens()
	n := max(size, specialsCount)
	vocab := make([]string, 0, n)
	vocab = append(vocab, base[:min(n, len(base))]...)
	for i := specialsCount - 4; len(vocab) < n; i++ {
		vocab = append(vocab, fmt.Sprintf("[unused%d]", i))
	}
	return vocab
}

// defaultTokens is the full priority-ordered token list, built once.
var defaultTokens = sync.OnceValue(func() []string {
	var toks []string
	seen := map[string]bool{}
	add := func(ts ...string) {
		for _, t := range ts {
			if t != "" && !seen[t] {
				seen[t] = true
				toks = append(toks, t)
			}
		}
	}
	add(PadToken)
	for i := 1; i <= 99; i++ {
		add(fmt.Sprintf("[unused%d]", i))
	}
	add(UnkToken, ClsToken, SepToken, MaskToken)
	for c := byte('!'); c <= '~'; c++ {
		if c < 'A' || c > 'Z' {
			add(string(c))
		}
	}
	for c := byte('a'); c <= 'z'; c++ {
		add("##" + string(c))
	}
	for c := byte('0'); c <= '9'; c++ {
		add("##" + string(c))
	}
	add(strings.Fields(englishWords)...)
	for _, p := range strings.Fields(englishSuffixes) {
		add("##" + p)
	}
	for _, r := range cjkPunctuation {
		add(string(r))
	}
	for _, r := range gb2312Hanzi() {
		add(string(r))
	}
	for r := rune(0x4e00); r <= 0x9fa5; r++ {
		add(string(r))
	}
	return toks
})

// gb2312Hanzi returns the 6763 Chinese characters of GB 2312 in code order:
// level 1 (rows 16-55, the 3755 most common, by pinyin) then level 2
// (rows 56-87, by radical).
func gb2312Hanzi() []rune {
	dec := simplifiedchinese.GBK.NewDecoder()
	var rs []rune
	for hi := 0xb0; hi <= 0xf7; hi++ {
		for lo := 0xa1; lo <= 0xfe; lo++ {
			out, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil {
				continue
			}
			r, n := utf8.DecodeRune(out)
			if n != len(out) || r < 0x4e00 || r > 0x9fff {
				continue // unassigned cells (row 55 ends at 0xF9)
			}
			rs = append(rs, r)
		}
	}
	return rs
}

// cjkPunctuation is full-width and CJK punctuation that survives NFKC.
const cjkPunctuation = "，。、；：？！“”‘’（）《》〈〉【】「」『』〔〕…—～·￥"

// englishWords are whole-word tokens for English customer-service text.
const englishWords = `
the a an and or not no yes to of in on at for from by with about as is are was were be been
being am do does did done have has had will would can could should shall may might must
i me my mine you your yours we us our he him his she her it its they them their this that
these those what which who whom whose when where why how there here all any some each every
more most much many few other another same such only own very too also just still yet again
please thanks thank hi hello hey sorry ok okay help
order orders ordered ordering refund refunds refunded return returns returned returning
exchange exchanges exchanged cancel cancelled canceled cancellation ship shipping shipped
shipment deliver delivery delivered courier carrier track tracking package parcel arrive
arrived arrival late delay delayed lost missing damaged broken wrong defective item items
product products goods size sizes color colour price prices cost costs fee fees charge
charged charges pay paid payment payments invoice invoices receipt receipts bill billing
card credit debit bank transfer wallet paypal alipay wechat cash coupon coupons discount
discounts code codes promo promotion sale sales voucher points member membership vip
account accounts login log password reset email phone number address change changed
update updated status stock available out store shop shopping cart checkout buy bought
purchase purchased customer service support agent human person contact chat call
warranty repair replace replacement quality problem problems issue issues question
questions answer complaint
day days week weeks month months year hour hours minute minutes time today tomorrow
yesterday now soon long
get got give gave make made take took send sent receive received want need know see
find found check use used open close closed come go went keep let tell ask asked wait
new old first last next free full half same different good bad best better big small
app website site online web mobile
`

// englishSuffixes are common word-final pieces, written as "##" tokens.
const englishSuffixes = "s es ed ing er ers ly tion tions ment ments able ness ful less est al ity ive"
