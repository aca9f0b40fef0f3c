package answer

import (
	"regexp"
	"strings"
	"unicode"
)

// Intent is what a question says about the customer, apart from its topic.
type Intent struct {
	// WantsHuman: the customer asks for a person (转人工, "talk to a human").
	WantsHuman bool `json:"wants_human"`
	// Complaint: a complaint, a threat to escalate, or strong anger.
	Complaint bool `json:"complaint"`
	// Sentiment runs from -1 (furious) to 1 (pleased); 0 is neutral.
	Sentiment float64 `json:"sentiment"`
}

// Lexicons work on normalized text (simplified Chinese, lowercase Latin).
var (
	// humanPhrases ask for a person outright.
	humanPhrases = []string{
		"转人工", "人工客服", "人工服务", "找人工", "要人工", "接人工", "人工坐席", "人工座席", "真人客服",
		"找真人", "真人回答", "叫人工", "转接人工", "我要人工", "人工!", "人工呢", "有没有人", "有人吗",
		"客服在吗", "找客服", "联系客服", "接客服", "转客服", "客服电话",
	}
	// humanAlone ask for a person when they are the whole question
	// (punctuation aside): "人工" and "人工！" alike.
	humanAlone    = map[string]bool{"人工": true, "真人": true, "客服": true, "找人": true}
	humanPatterns = regexp.MustCompile(`\b(talk|speak|chat|connect|transfer)\w*\s+(me\s+)?(to|with)\s+(a\s+|an\s+|the\s+|some\s+|your\s+)?(real\s+|live\s+)?(person|human|agent|representative|rep|someone|somebody|people|manager|supervisor|operator)\b|\b(real|live)\s+(person|human|agent)\b|\bhuman\s+(agent|support|being)\b|^\s*(agent|human|operator|representative)\s*[!.?]*\s*$|\bcustomer\s+service\s+(agent|rep|representative)\b`)
	// complaintPhrases are complaints or escalation threats.
	complaintPhrases = []string{
		"投诉", "差评", "12315", "消协", "消费者协会", "工商局", "市场监管", "曝光", "报警", "起诉", "律师",
		"法院", "骗子", "骗钱", "诈骗", "欺诈", "坑人", "黑店", "垃圾", "太差劲", "恶心", "气死", "无语",
		"忍无可忍", "什么破", "退钱!", "马上退款", "立刻退款", "立即退款", "赶紧退钱", "还我钱", "给个说法",
		"举报", "维权", "媒体",
	}
	complaintPatterns = regexp.MustCompile(`\b(complain|complaint|scam|scammer|fraud|rip\s*-?\s*off|ripoff|sue|lawsuit|lawyer|attorney|bbb|chargeback|disgusting|unacceptable|ridiculous|worst|terrible|horrible|pathetic|furious|outraged|report you)\w*\b|refund\s+(me\s+)?(now|immediately|right\s+now)|\bgive\s+me\s+my\s+money\s+back\b`)
	// Sentiment words beyond the complaint lists, each worth a little.
	negativeWords = []string{
		"生气", "失望", "不满", "愤怒", "烦死", "很差", "太差", "慢死", "太慢", "坑", "烂", "糟糕", "离谱", "过分", "不靠谱",
		"骗", "怎么回事", "还没", "到底", "一直", "好几天", "没人管", "没人理",
	}
	negativeEnglish = regexp.MustCompile(`\b(angry|upset|annoyed|disappointed|frustrated|bad|awful|slow|never|still\s+not|still\s+hasn't|useless|waste|again|wtf|damn)\b`)
	positiveWords   = []string{"谢谢", "感谢", "好评", "满意", "辛苦", "赞", "thank", "thanks", "great", "love", "appreciate"}
)

// DetectIntent reads a question (raw as typed, and normalized) for a
// request for a person, a complaint and sentiment. It only matches
// hand-written lexicons: cheap, predictable and explainable in a handoff.
func DetectIntent(raw, norm string) Intent {
	var in Intent
	in.WantsHuman = humanAlone[matchKey(norm)]
	for _, p := range humanPhrases {
		if strings.Contains(norm, p) {
			in.WantsHuman = true
			break
		}
	}
	if !in.WantsHuman && strings.ContainsFunc(norm, isLatinLetter) && humanPatterns.MatchString(norm) {
		in.WantsHuman = true
	}
	score := 0.0
	for _, p := range complaintPhrases {
		if strings.Contains(norm, p) {
			in.Complaint = true
			score -= 0.6
		}
	}
	if strings.ContainsFunc(norm, isLatinLetter) {
		if m := complaintPatterns.FindAllString(norm, -1); len(m) > 0 {
			in.Complaint = true
			score -= 0.6 * float64(len(m))
		}
		score -= 0.2 * float64(len(negativeEnglish.FindAllString(norm, -1)))
	}
	for _, p := range negativeWords {
		if strings.Contains(norm, p) {
			score -= 0.2
		}
	}
	for _, p := range positiveWords {
		if strings.Contains(norm, p) {
			score += 0.3
		}
	}
	if n := strings.Count(norm, "!") + strings.Count(norm, "?!"); n >= 2 {
		score -= 0.1 * float64(min(n, 5))
	}
	if shouting(raw) {
		score -= 0.3
	}
	in.Sentiment = max(-1, min(1, score))
	if in.Sentiment <= -0.8 {
		in.Complaint = true
	}
	return in
}

func isLatinLetter(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }

// shouting reports mostly upper-case Latin text, e.g. "WHERE IS MY ORDER".
func shouting(s string) bool {
	upper, letters := 0, 0
	for _, r := range s {
		if isLatinLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 8 && upper*10 >= letters*8
}
