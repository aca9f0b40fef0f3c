package answer

import (
	"testing"

	"github.com/jieda/jieda/embed"
)

func TestDetectIntent(t *testing.T) {
	for _, c := range []struct {
		q                 string
		human, complaint  bool
		negative, neutral bool
	}{
		{q: "转人工", human: true},
		{q: "我要人工客服", human: true},
		{q: "請幫我轉人工", human: true},
		{q: "Can I talk to a real person?", human: true},
		{q: "connect me with an agent please", human: true},
		{q: "agent", human: true},
		{q: "人工", human: true},
		{q: "人工！", human: true},
		{q: "人工?", human: true},
		{q: "我要投诉你们", complaint: true},
		{q: "你們是騙子，我要打12315", complaint: true},
		{q: "給差評", complaint: true},
		{q: "This is a scam, refund me now", complaint: true},
		{q: "WHERE IS MY ORDER I HAVE BEEN WAITING FOR WEEKS", negative: true},
		{q: "运费怎么算", neutral: true},
		{q: "人工费怎么收", neutral: true}, // a price, not a request for a person
		{q: "How do I return an item?", neutral: true},
		{q: "补差价怎么操作", neutral: true},
		{q: "谢谢，很满意", neutral: true},
	} {
		norm, err := embed.Normalize(c.q)
		if err != nil {
			t.Fatal(err)
		}
		in := DetectIntent(c.q, norm)
		if in.WantsHuman != c.human {
			t.Errorf("%q: WantsHuman = %v, want %v", c.q, in.WantsHuman, c.human)
		}
		if in.Complaint != c.complaint {
			t.Errorf("%q: Complaint = %v, want %v", c.q, in.Complaint, c.complaint)
		}
		if c.negative && in.Sentiment >= 0 {
			t.Errorf("%q: sentiment %v, want negative", c.q, in.Sentiment)
		}
		if c.neutral && in.Sentiment < 0 {
			t.Errorf("%q: sentiment %v, want ≥ 0", c.q, in.Sentiment)
		}
	}
}

func TestIsFollowUp(t *testing.T) {
	for q, want := range map[string]bool{
		"那运费呢":               true,
		"还有别的颜色吗":            true,
		"and for hong kong?": true,
		"what about returns": true,
		"香港呢":                true,
		"我想知道怎么申请七天无理由退货以及退款多久到账":                false,
		"how do i cancel an order that was paid": false,
	} {
		norm, _ := embed.Normalize(q)
		if got := isFollowUp(norm); got != want {
			t.Errorf("isFollowUp(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestPreferLocale(t *testing.T) {
	cands := []Candidate{{ArticleID: "cn", Locale: "zh-CN"}, {ArticleID: "tw", Locale: "zh-TW"}, {ArticleID: "any"}, {ArticleID: "en", Locale: "en"}}
	got := preferLocale(cands, questionFamily("", "退貨怎麼辦理"))
	if len(got) != 2 || got[0].ArticleID != "tw" || got[1].ArticleID != "any" {
		t.Errorf("traditional question: %v", got)
	}
	if got := preferLocale(cands[1:], questionFamily("en-US", "退货")); len(got) != 2 || got[0].ArticleID != "any" || got[1].ArticleID != "en" {
		t.Errorf("en locale: %v", got)
	}
	// no candidate of the question's family in the top 3: nothing dropped
	if got := preferLocale(cands[:1], "en"); len(got) != 1 {
		t.Errorf("no same-family candidate: %v", got)
	}
}
