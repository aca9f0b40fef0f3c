package pii

import (
	"regexp"
	"strings"
)

// Chinese addresses are found from an anchor that only addresses have — a
// road with a house number (科技园路18号, 松仁路100號, 彌敦道688號,
// 忠孝東路四段123巷4弄5號), an estate with a building (阳光花园3栋), or a
// building with a room (5号楼302) — then extended left over the road name
// and administrative divisions (省/市/区/县/镇/街道) and right over
// buildings, units, floors and rooms. A city or district alone is not an
// address; "3号线", "路由器" and "号码" have no anchor.

const (
	cnNum = `(?:[0-9]{1,5}|[一二三四五六七八九十百零〇两兩]{1,4})`
	// cnPart is one numbered building, unit, floor or room part.
	cnPart = `(?:[0-9]{1,5}|[A-Za-z]{1,2}|[一二三四五六七八九十]{1,3})\s?(?:号楼|號樓|号院|號院|栋|棟|幢|座|单元|單元|楼|樓|层|層|室|房|号|號|F\b|/F\b)`
	// cnEstate ends the name of an estate or a building.
	cnEstate = `(?:大厦|大廈|中心|广场|廣場|花园|花園|大楼|大樓|公寓|小区|小區|苑|阁|閣|园区|園區|新村|社区|社區)`
)

var (
	roadRE = regexp.MustCompile(`^(?:路|街|道|巷|弄|胡同)[东西南北中東]?(?:[一二三四五六七八九十0-9]{1,3}段)?` +
		`(?:\s?[0-9]{1,4}\s?(?:巷|弄))*\s?` + cnNum + `(?:[-之][0-9]{1,4})?\s?(?:号|號)`)
	estateRE = regexp.MustCompile(`^(?:小区|小區|花园|花園|大厦|大廈|公寓|家园|家園|新村|社区|社區|大楼|大樓|苑|邨|阁|閣|公馆|公館|广场|廣場|山庄|山莊|华庭|華庭)` +
		`\s?(?:[0-9]{1,4}|[A-Za-z]|[一二三四五六七八九十]{1,3})\s?(?:号楼|號樓|栋|棟|幢|座|号|號)`)
	buildingRE = regexp.MustCompile(`^(?:[0-9]{1,4}|[A-Za-z])(?:栋|棟|幢|座|号楼|號樓)\s?(?:[0-9]{1,2}(?:单元|單元))?\s?[0-9]{3,5}(?:室|房|号|號)?`)
	// tailPartRE is one part after an anchor: a numbered part, an estate
	// (with or without a numbered part), or any short name before a
	// numbered part ("太古汇2座").
	tailPartRE = regexp.MustCompile(`^(?:\s?,?\s?)(?:` + cnPart + `|\p{Han}{1,8}?` + cnEstate + `(?:\s?` + cnPart + `)?)|^\s?\p{Han}{1,6}?\s?` + cnPart)
	roomRE     = regexp.MustCompile(`^-?[0-9]{3,5}(?:室|房)?`)
)

// addrStop are characters that never belong to a place name: where the
// left extension of an address stops ("寄到", "地址是", "我住在").
var addrStop = runeSet("的是在到至往址我你他她它寄送住为為给給从從了与與或请請把帮幫换換去还還也就要想能吗嗎呢吧啊哦您们們这這哪么麼填写寫改")

// adminSuffix marks administrative divisions.
var adminSuffix = runeSet("省市区區县縣镇鎮乡鄉州旗")

// notRoad are words that end like a road but are not one; they block an
// anchor unless an administrative division precedes them ("知道18号发货").
var notRoad = map[string]bool{
	"知道": true, "味道": true, "频道": true, "頻道": true, "渠道": true, "通道": true, "难道": true,
	"難道": true, "报道": true, "報道": true, "管道": true, "轨道": true, "軌道": true, "车道": true,
	"車道": true, "一路": true, "线路": true, "線路": true, "电路": true, "電路": true, "思路": true,
	"网路": true, "網路": true, "走路": true, "上路": true, "逛街": true, "一道": true, "顺道": true,
	"順道": true, "赶路": true, "出路": true, "之道": true,
}

var (
	roadSuffixes   = newLiteralSet("路", "街", "道", "巷", "弄", "胡同")
	estateSuffixes = newLiteralSet("小区", "小區", "花园", "花園", "大厦", "大廈", "公寓", "家园", "家園", "新村", "社区", "社區",
		"大楼", "大樓", "苑", "邨", "阁", "閣", "公馆", "公館", "广场", "廣場", "山庄", "山莊", "华庭", "華庭")
	buildingWords = newLiteralSet("栋", "棟", "幢", "座", "号楼", "號樓")
	// enStreetWords must occur for the English address expression to run.
	enStreetWords = func() map[string]bool {
		m := map[string]bool{"Box": true, "BOX": true, "box": true}
		for _, w := range strings.Split(strings.Trim(enSuffix, "(?:)"), "|") {
			m[w] = true
		}
		return m
	}()
)

func (c *collector) addresses() {
	s := c.s
	if strings.ContainsAny(s, "号號栋棟幢座") {
		c.cnAddresses()
	}
	if hasDigit(s) && hasStreetWord(s) {
		c.enAddresses()
	}
}

// hasStreetWord reports an ASCII word that is a street type or "Box".
func hasStreetWord(s string) bool {
	for i := 0; i < len(s); {
		if !isASCIILetter(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isASCIILetter(s[j]) {
			j++
		}
		if enStreetWords[s[i:j]] {
			return true
		}
		i = j
	}
	return false
}

// cnAddresses tries the anchored expressions only where an anchor word
// occurs, skipping anchors inside an address already found.
func (c *collector) cnAddresses() {
	s := c.s
	var found [][2]int
	add := func(start, end int) {
		c.add(start, end, Address, prioAddress)
		found = append(found, [2]int{start, end})
	}
	inside := func(i int) bool {
		for _, f := range found {
			if i >= f[0] && i < f[1] {
				return true
			}
		}
		return false
	}
	roadSuffixes.each(s, func(i int, _ string) {
		if inside(i) {
			return
		}
		m := roadRE.FindStringIndex(window(s, i, 96))
		if m == nil {
			return
		}
		end := i + m[1]
		if r, _ := runeAt(s, end); r == '线' || r == '線' || r == '码' || r == '碼' {
			return
		}
		start, n, admin := expandLeft(s, i)
		if n == 0 {
			return
		}
		if !admin {
			prev, _ := runeBefore(s, i)
			suf, _ := runeAt(s, i)
			if notRoad[string(prev)+string(suf)] {
				return
			}
		}
		add(start, expandRight(s, end, false))
	})
	estateSuffixes.each(s, func(i int, _ string) {
		if inside(i) {
			return
		}
		m := estateRE.FindStringIndex(window(s, i, 48))
		if m == nil {
			return
		}
		start, n, _ := expandLeft(s, i)
		if n == 0 {
			return
		}
		add(start, expandRight(s, i+m[1], true))
	})
	buildingWords.each(s, func(i int, _ string) {
		// The anchor starts at the 1-4 digits or the letter before the word.
		j := i
		for j > 0 && i-j < 4 && isDigit(s[j-1]) {
			j--
		}
		if j == i && j > 0 && isASCIILetter(s[j-1]) {
			j--
		}
		if j == i || inside(j) || wordBefore(s, j) {
			return
		}
		m := buildingRE.FindStringIndex(window(s, j, 48))
		if m == nil {
			return
		}
		start, _, _ := expandLeft(s, j)
		add(start, expandRight(s, j+m[1], true))
	})
}

// expandLeft walks back from an anchor over Han characters (and single
// spaces after a division: "广东省 深圳市") up to 30 characters. It returns
// the start, the number of characters taken and whether a division suffix
// was among them.
func expandLeft(s string, p int) (start, n int, admin bool) {
	i := p
	for n < 30 {
		r, size := runeBefore(s, i)
		if size == 0 {
			break
		}
		if r == ' ' {
			if r2, _ := runeBefore(s, i-1); adminSuffix[r2] {
				i--
				continue
			}
			break
		}
		if !isHan(r) || addrStop[r] {
			break
		}
		if r == '人' { // 收件人, 收货人, 联系人: a label, not a place
			if r2, _ := runeBefore(s, i-size); strings.ContainsRune("件货貨系絡络", r2) {
				break
			}
		}
		if adminSuffix[r] {
			admin = true
		}
		i -= size
		n++
	}
	return i, n, admin
}

// expandRight extends an anchor over building, unit, floor and room parts.
func expandRight(s string, end int, building bool) int {
	for end < len(s) {
		if m := tailPartRE.FindStringIndex(window(s, end, 72)); m != nil {
			end += m[1]
			building = true
			continue
		}
		if building {
			if m := roomRE.FindStringIndex(window(s, end, 16)); m != nil && !wordAfter(s, end+m[1]) {
				end += m[1]
				building = false
				continue
			}
		}
		break
	}
	return end
}

const (
	enUnit   = `(?:Apt|Apartment|Suite|Ste|Unit|Flat|Room|Rm|Floor|Fl)\.?\s?#?\s?[0-9A-Za-z-]{1,6}`
	enSuffix = `(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Parkway|Pkwy|Place|Pl|Terrace|Ter|Highway|Hwy|Square|Sq|Circle|Cir|Crescent|Cres|Close|Row|Alley|Walk|Trail|Plaza|Loop|Expressway|Expy|Quay|Gardens|Hill)`
)

// enAddrRE matches, from a house number, a capitalized street name and a
// street type, with an optional unit, city, state, ZIP or UK postcode after.
var enAddrRE = regexp.MustCompile(`^[0-9]{1,6}[A-Za-z]?(?:-[0-9]{1,4})?\s+(?:(?:N|S|E|W|North|South|East|West)\.?\s+)?` +
	`(?:[A-Z][A-Za-z'.-]*|[0-9]{1,3}(?:st|nd|rd|th))(?:\s+[A-Z][A-Za-z'.-]*){0,3}\s+` + enSuffix + `\b\.?` +
	`(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West|Central)\b\.?)?` +
	`(?:,?\s+` + enUnit + `|,?\s+#\s?[0-9A-Za-z-]{1,6})?` +
	`(?:,\s*[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})?` +
	`(?:,?\s+[A-Z]{2}\b)?(?:,?\s+[0-9]{5}(?:-[0-9]{4})?\b)?` +
	`(?:,?\s+[A-Z]{1,2}[0-9][A-Z0-9]?\s?[0-9][A-Z]{2}\b)?`)

// enUnitsBeforeRE matches units written before the house number
// ("Apt 4B, ", "Flat 5, 12/F, ").
var enUnitsBeforeRE = regexp.MustCompile(`(?:(?:` + enUnit + `|[0-9]{1,3}/F|(?:Block|Blk|Tower)\s?[0-9A-Za-z]{1,3}),?\s+)+$`)

var poBoxRE = regexp.MustCompile(`(?i)\bP\.?\s?O\.?\s?Box\s+[0-9]{1,8}\b`)

// enAddresses tries enAddrRE at every number that starts a word.
func (c *collector) enAddresses() {
	s := c.s
	end := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || i < end || wordBefore(s, i) {
			continue
		}
		m := enAddrRE.FindStringIndex(window(s, i, 200))
		if m == nil {
			for i+1 < len(s) && isDigit(s[i+1]) {
				i++
			}
			continue
		}
		start := i
		if u := enUnitsBeforeRE.FindStringIndex(s[max(0, i-48):i]); u != nil {
			start = max(0, i-48) + u[0]
		}
		end = i + m[1]
		c.add(start, end, Address, prioAddress)
	}
	if strings.Contains(s, "Box") || strings.Contains(s, "BOX") || strings.Contains(s, "box") {
		for _, m := range poBoxRE.FindAllStringIndex(s, -1) {
			c.add(m[0], m[1], Address, prioAddress)
		}
	}
}

// window bounds the text an anchored expression sees: matches are short,
// and the matcher's cost grows with the length of its input.
func window(s string, i, n int) string {
	return s[i:min(len(s), i+n)]
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			return true
		}
	}
	return false
}

func runeSet(chars string) map[rune]bool {
	m := make(map[rune]bool)
	for _, r := range chars {
		m[r] = true
	}
	return m
}
