package pii

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Names are found only where a salutation or an introduction marks them:
// a Chinese surname before a title (张先生, 陳小姐, 王伟经理), a title
// before a capitalized word (Mr. Smith, Ms. Chen), a greeting (Dear John)
// or an introduction (my name is…, 我叫…, 收件人：…). A title is part of
// how the name is written and is replaced with it ("张先生" → "{name}");
// a greeting or introduction is not ("我叫{name}", "Dear {name}").

var (
	cnTitles = newLiteralSet("先生", "女士", "小姐", "太太", "夫人", "经理", "經理", "老师", "老師", "师傅", "師傅",
		"主任", "医生", "醫生", "律师", "律師", "老板", "老闆", "阿姨", "教授")
	cnIntros = newLiteralSet("我叫", "我的名字是", "我的名字叫", "名字是", "名字叫", "姓名", "收件人", "收货人", "收貨人",
		"联系人", "聯絡人", "联络人", "聯繫人", "客户名", "客戶名", "我是", "本人", "我姓")
	// enCues start the English name expressions, which run only there.
	enCues = newLiteralSet("Mr", "Ms", "Mrs", "Miss", "Mx", "Dr", "Prof", "Dear", "dear", "My", "my", "Name", "NAME",
		"Recipient", "recipient")
	enHonorRE   = regexp.MustCompile(`^(?:Mrs|Mr|Ms|Mx|Miss|Dr|Prof)\.?\s+([A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?)`)
	enIntroRE   = regexp.MustCompile(`^(?:[Dd]ear|[Mm]y\s+name\s+is|[Mm]y\s+name's|[Nn]ame:|NAME:|[Rr]ecipient:)\s*([A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?)`)
	latinNameRE = regexp.MustCompile(`^[A-Z][a-zA-Z'-]+(?:\s[A-Z][a-zA-Z'-]+)?`)
)

// notNames are capitalized words after "Dear" or a title that are not
// people ("Dear Customer", "Dr. Martens").
var notNames = map[string]bool{
	"Customer": true, "Customers": true, "Sir": true, "Madam": true, "Valued": true, "Friend": true,
	"Friends": true, "Team": true, "Support": true, "All": true, "Shopper": true, "Member": true,
	"Members": true, "Buyer": true, "Client": true, "User": true, "Guest": true, "Colleague": true,
	"Colleagues": true, "Martens": true, "Seller": true, "Partner": true, "Sirs": true, "Mr": true,
	"Mrs": true, "Ms": true, "Miss": true, "Dr": true, "Prof": true, "Mx": true, "Everyone": true,
	"Valentine": true, "Santa": true, "Coffee": true, "Clean": true, "Muscle": true, "Right": true,
	"Bean": true, "Potato": true,
}

// nameBoundary are characters that may directly precede a name: verbs and
// particles ("联系张先生", "谢谢王女士").
var nameBoundary = runeSet("系告诉訴问問给給找叫请請是和跟与與及的了位对對向谢謝嘛呀好您帮幫让讓替由被把将將称稱转轉知通致感候喊等见見约約与@")

// notGiven are characters that do not occur in a given name here.
var notGiven = runeSet("的了是在和与先女士姐说說要想问問买買我你他她们們这這那吗嗎呢吧啊哦好不也都就还還会會能可以已经經被把给給对對让讓请請谢謝购購订訂退换換")

// notNameWords are words that read like a surname and a given name after
// "我是" ("我是王者", "我是黄金会员").
var notNameWords = map[string]bool{
	"王者": true, "高级": true, "高級": true, "黄金": true, "黃金": true, "白金": true, "金牌": true,
	"金卡": true, "银卡": true, "銀卡": true, "马上": true, "馬上": true, "方便": true, "安全": true,
	"常客": true, "江湖": true, "明星": true, "高手": true, "程序员": true, "程序員": true, "老板": true,
	"老闆": true, "毛病": true, "高中生": true, "白领": true, "白領": true, "宝妈": true, "寶媽": true,
}

// afterWeakName may follow a name introduced by "我是" / "本人".
var afterWeakName = runeSet("啊呀哦喔呢吧啦")

func (c *collector) names(surnames map[string]bool) {
	s := c.s
	enCues.each(s, func(i int, _ string) {
		if i > 0 && isASCIILetter(s[i-1]) {
			return
		}
		w := window(s, i, 96)
		if m := enHonorRE.FindStringSubmatchIndex(w); m != nil && !notNames[firstWord(w[m[2]:m[3]])] {
			c.add(i, i+m[1], Name, prioName)
		} else if m := enIntroRE.FindStringSubmatchIndex(w); m != nil && !notNames[firstWord(w[m[2]:m[3]])] {
			c.add(i+m[2], i+m[3], Name, prioName)
		}
	})
	if !hasHan(s) {
		return
	}
	cnTitles.each(s, func(i int, w string) {
		if start := titledNameStart(s, i, surnames); start >= 0 {
			c.add(start, i+len(w), Name, prioName)
		}
	})
	cnIntros.each(s, func(i int, cue string) {
		j := i + len(cue)
		for _, f := range []string{"是", "为", "為", " ", ":", " "} {
			j += len(f) * b2i(strings.HasPrefix(s[j:], f))
		}
		if end := introducedNameEnd(s, j, cue, surnames); end > j {
			c.add(j, end, Name, prioName)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstWord(s string) string {
	if i := strings.IndexAny(s, " \t\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func hasHan(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xE2 { // lead byte of U+2000 and above
			r, _ := utf8.DecodeRuneInString(s[i:])
			if isHan(r) {
				return true
			}
		}
	}
	return false
}

// titledNameStart finds the name before a title at p: a surname (one or
// two characters) and up to two given-name characters. Of the readings, it
// takes the shortest that starts at a boundary (start of text, non-Han, or
// a verb like 联系 / 谢谢), else the shortest; -1 if none.
func titledNameStart(s string, p int, surnames map[string]bool) int {
	var pos [5]int // pos[k]: start of the k runes before p
	var rs [5]rune
	pos[0] = p
	k := 0
	for k < 4 {
		r, n := runeBefore(s, pos[k])
		if n == 0 || !isHan(r) {
			break
		}
		rs[k+1] = r
		pos[k+1] = pos[k] - n
		k++
	}
	best := -1
	for l := 1; l <= k; l++ {
		if !nameReading(s[pos[l]:p], surnames) {
			continue
		}
		r, n := runeBefore(s, pos[l])
		if n == 0 || !isHan(r) || nameBoundary[r] {
			return pos[l]
		}
		if best < 0 {
			best = pos[l]
		}
	}
	return best
}

// nameReading reports whether name is a surname plus up to two given-name characters.
func nameReading(name string, surnames map[string]bool) bool {
	var rs []rune
	for _, r := range name {
		rs = append(rs, r)
	}
	var given []rune
	switch {
	case len(rs) >= 2 && surnames[string(rs[:2])]:
		given = rs[2:]
	case surnames[string(rs[:1])]:
		given = rs[1:]
	default:
		return false
	}
	if len(given) > 2 {
		return false
	}
	for _, r := range given {
		if notGiven[r] {
			return false
		}
	}
	return true
}

// introducedNameEnd reads a name after an introduction cue at i: a surname
// and one or two given-name characters (only the surname after 我姓), or a
// capitalized Latin name. After the weak cues 我是 / 本人 the name must end
// at punctuation, space, the end or a particle ("我是高级会员" is no name).
// It returns i if there is no name.
func introducedNameEnd(s string, i int, cue string, surnames map[string]bool) int {
	if m := latinNameRE.FindStringIndex(window(s, i, 64)); m != nil && cue != "我是" && cue != "本人" && cue != "我姓" {
		if !notNames[firstWord(s[i:i+m[1]])] && !wordAfter(s, i+m[1]) {
			return i + m[1]
		}
		return i
	}
	var rs [4]rune
	var ends [4]int
	j, k := i, 0
	for k < 4 {
		r, n := runeAt(s, j)
		if n == 0 || !isHan(r) {
			break
		}
		rs[k] = r
		j += n
		ends[k] = j
		k++
	}
	sur := 0
	switch {
	case k >= 2 && surnames[string(rs[:2])]:
		sur = 2
	case k >= 1 && surnames[string(rs[:1])]:
		sur = 1
	default:
		return i
	}
	if cue == "我姓" {
		return ends[sur-1]
	}
	given := 0
	for sur+given < k && given < 2 && !notGiven[rs[sur+given]] {
		given++
	}
	if given == 0 {
		return i
	}
	end := ends[sur+given-1]
	if cue == "我是" || cue == "本人" {
		if notNameWords[s[i:end]] {
			return i
		}
		r, n := runeAt(s, end)
		if n > 0 && isHan(r) && !afterWeakName[r] {
			return i
		}
	}
	return end
}
