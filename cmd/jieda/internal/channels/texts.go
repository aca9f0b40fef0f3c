package channels

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/jieda/jieda/answer"
)

// lang is the language jieda writes a conversation's messages in: the
// customer's, from their question (Chinese when it has Han characters).
type lang string

const (
	langZH lang = "zh"
	langEN lang = "en"
)

func langOf(locale, text string) lang {
	l := strings.ToLower(locale)
	switch {
	case strings.HasPrefix(l, "zh"):
		return langZH
	case strings.HasPrefix(l, "en"):
		return langEN
	case strings.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) }):
		return langZH
	}
	return langEN
}

// Texts jieda writes into conversations, per language.
var texts = map[lang]map[string]string{
	langZH: {
		"clarify_footer":  "回复序号即可，也可以直接描述您的问题。",
		"handoff":         "正在为您转接人工客服，请稍候，客服会在这里回复您。",
		"note_title":      "jieda 转人工",
		"note_reason":     "原因",
		"note_confidence": "置信度",
		"note_question":   "客户问题",
		"note_none":       "（无建议）",
		"note_suggest":    "jieda 的建议答案",
		"note_unreadable": "客户发来的消息没有可读的文字（图片或附件），jieda 无法回答。",
		"note_invalid":    "jieda 无法处理这条消息",
	},
	langEN: {
		"clarify_footer":  "Reply with a number, or tell us more in your own words.",
		"handoff":         "I'm passing you to a member of our team; they will reply here shortly.",
		"note_title":      "jieda handoff",
		"note_reason":     "Reason",
		"note_confidence": "Confidence",
		"note_question":   "Customer's question",
		"note_none":       "(no suggestions)",
		"note_suggest":    "jieda's suggested answers",
		"note_unreadable": "The customer's message has no text jieda can read (an image or attachment).",
		"note_invalid":    "jieda could not take this message",
	},
}

// reasonLabels name handoff reasons for agents.
var reasonLabels = map[lang]map[answer.HandoffReason]string{
	langZH: {
		answer.ReasonLowConfidence: "置信度低", answer.ReasonOutOfScope: "知识库没有答案", answer.ReasonAmbiguous: "澄清后仍不明确",
		answer.ReasonCustomerRequest: "客户要求人工", answer.ReasonComplaint: "投诉或情绪激动", answer.ReasonExpiredAnswer: "答案已过期",
	},
	langEN: {
		answer.ReasonLowConfidence: "low confidence", answer.ReasonOutOfScope: "not in the knowledge base", answer.ReasonAmbiguous: "still unclear after a clarify",
		answer.ReasonCustomerRequest: "the customer asked for a person", answer.ReasonComplaint: "complaint or strong emotion", answer.ReasonExpiredAnswer: "the answer has expired",
	},
}

// clarifyText is a clarify as a message the customer answers by number or text.
func clarifyText(prompt string, opts []answer.ClarifyOption, l lang) string {
	var b strings.Builder
	b.WriteString(prompt)
	for i, o := range opts {
		fmt.Fprintf(&b, "\n%d. %s", i+1, o.Question)
	}
	b.WriteString("\n")
	b.WriteString(texts[l]["clarify_footer"])
	return b.String()
}

// suggestion is one article jieda would have answered with.
type suggestion struct {
	Question, Answer string
	Score            float64
}

// handoffNote is the private note agents get with a handoff.
func handoffNote(h answer.Handoff, sugg []suggestion, l lang) string {
	t := texts[l]
	reason := string(h.Reason)
	if label := reasonLabels[l][h.Reason]; label != "" {
		reason += " (" + label + ")"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s: %s · %s: %.2f\n", t["note_title"], t["note_reason"], reason, t["note_confidence"], h.Confidence)
	fmt.Fprintf(&b, "%s: %s\n", t["note_question"], h.Question)
	b.WriteString(t["note_suggest"] + ":")
	if len(sugg) == 0 {
		b.WriteString(" " + t["note_none"])
	}
	for i, s := range sugg {
		fmt.Fprintf(&b, "\n%d. %s → %s", i+1, s.Question, clip(s.Answer, 160))
	}
	fmt.Fprintf(&b, "\n(handoff %s)", h.ID)
	return b.String()
}

// clip shortens s to n characters with an ellipsis.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

var (
	// "2", "2.", "(2)", "第2个", "第二条", "选2", "option 2", "#2", "no. 2"
	choicePattern = regexp.MustCompile(`^(?:第|选|选择|選|選擇|option|no\.?|number|#)?\s*([0-9]+|[一二三四五六七八九十])\s*(?:个|個|条|條|项|項|号|號)?$`)
	hanDigits     = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
)

// pickOption reads a reply to a clarify: a number (full-width, Chinese
// numerals and "第2个" forms too) or an option's question written out (or
// a part of it that only one option has). It returns the option's index,
// or -1 for a reply that is none of them (a new question).
func pickOption(reply string, opts []answer.ClarifyOption) int {
	r := strings.ToLower(strings.TrimSpace(norm.NFKC.String(reply)))
	r = strings.Trim(r, " .。、,，!！?？()（）[]【】")
	if m := choicePattern.FindStringSubmatch(r); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			n = hanDigits[m[1]]
		}
		if n >= 1 && n <= len(opts) {
			return n - 1
		}
		return -1
	}
	if r == "" {
		return -1
	}
	found := -1
	for i, o := range opts {
		q := strings.Trim(strings.ToLower(norm.NFKC.String(o.Question)), " .。?？!！")
		if q == r {
			return i
		}
		if len([]rune(r)) >= 3 && strings.Contains(q, r) {
			if found >= 0 {
				return -1 // in two options: not a choice
			}
			found = i
		}
	}
	return found
}
