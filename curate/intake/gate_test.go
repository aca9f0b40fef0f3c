package intake

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGate(t *testing.T) {
	no := false
	yes := true
	type verdict struct {
		OK     bool
		Reason DropReason
	}
	drop := func(r DropReason) verdict { return verdict{false, r} }
	keep := verdict{OK: true}
	tests := []struct {
		reply    string
		question string // "" means a default question
		reusable *bool
		want     verdict
	}{
		// greeting_only
		{reply: "您好", want: drop(DropGreetingOnly)},
		{reply: "你好，在的", want: drop(DropGreetingOnly)},
		{reply: "hello", want: drop(DropGreetingOnly)},
		{reply: "hi there", want: drop(DropGreetingOnly)},
		{reply: "Hi there!", want: drop(DropGreetingOnly)},
		{reply: "您好！很高兴为您服务，请问有什么可以帮您？", want: drop(DropGreetingOnly)},
		{reply: "親，您好～", want: drop(DropGreetingOnly)},
		{reply: "Good morning, how can I help you today?", want: drop(DropGreetingOnly)},
		{reply: "哈喽~ 在的呢", want: drop(DropGreetingOnly)},
		{reply: "ＨＥＬＬＯ", want: drop(DropGreetingOnly)},
		{reply: "欢迎光临，我是客服小美", want: drop(DropGreetingOnly)},
		{reply: "妳好，請問有什麼可以幫您？", want: drop(DropGreetingOnly)},
		{reply: "亲，您好，请问有什么可以帮到您？", want: drop(DropGreetingOnly)},
		{reply: "您好，请问是什么问题呢？", want: drop(DropGreetingOnly)},
		{reply: "Hey! This is Anna from the support team.", want: drop(DropGreetingOnly)},
		{reply: "晚上好😊", want: drop(DropGreetingOnly)},

		// holding
		{reply: "您好，请稍等", want: drop(DropHolding)},
		{reply: "稍等一下，我帮您查询", want: drop(DropHolding)},
		{reply: "let me check", want: drop(DropHolding)},
		{reply: "one moment please", want: drop(DropHolding)},
		{reply: "正在为您核实", want: drop(DropHolding)},
		{reply: "請稍候，正在為您查詢", want: drop(DropHolding)},
		{reply: "Hi, let me check that for you. One moment please.", want: drop(DropHolding)},
		{reply: "好的，我这边帮您看一下订单", want: drop(DropHolding)},
		{reply: "亲，麻烦您稍等片刻哦", want: drop(DropHolding)},
		{reply: "Please hold on, I'm checking your order now.", want: drop(DropHolding)},
		{reply: "Bear with me a moment", want: drop(DropHolding)},
		{reply: "请您提供一下订单号", want: drop(DropHolding)},
		{reply: "收到，马上给您回复", want: drop(DropHolding)},
		{reply: "I'll get back to you shortly.", want: drop(DropHolding)},
		{reply: "我幫您確認一下，請稍等", want: drop(DropHolding)},
		{reply: "您好，这个问题我需要跟同事确认一下，稍后回复您", want: drop(DropHolding)},
		{reply: "感谢您的来信，我们会尽快处理。", want: drop(DropHolding)},
		{reply: "您好，麻烦提供一下订单号，这边帮您查询", want: drop(DropHolding)},

		// transfer_only
		{reply: "已为您转接人工", want: drop(DropTransferOnly)},
		{reply: "已帮您提交给相关部门处理", want: drop(DropTransferOnly)},
		{reply: "I've escalated this to our team", want: drop(DropTransferOnly)},
		{reply: "已為您轉接人工客服，請稍等", want: drop(DropTransferOnly)},
		{reply: "您好，这边帮您反馈给售后专员处理，会有专人在24小时内联系您，请保持电话畅通。", want: drop(DropTransferOnly)},
		{reply: "Your request has been forwarded to our billing team. They will contact you within 24 hours.", want: drop(DropTransferOnly)},
		{reply: "I'm transferring you to a human agent now.", want: drop(DropTransferOnly)},
		{reply: "We have passed your case to the relevant department, thank you for your patience.", want: drop(DropTransferOnly)},
		{reply: "工单已创建，请耐心等待处理结果", want: drop(DropTransferOnly)},
		{reply: "好的亲，这边给您登记一下", want: drop(DropTransferOnly)},
		{reply: "您好，已经帮您催促仓库尽快发货了", want: drop(DropTransferOnly)},
		{reply: "好的呢，已经登记了哦，会尽快给您处理的", want: drop(DropTransferOnly)},
		{reply: "Please wait while I transfer you.", want: drop(DropTransferOnly)},
		{reply: "Someone from our team will reach out.", want: drop(DropTransferOnly)},
		{reply: "Hello, thanks for reaching out. I've forwarded your request to the billing department.", want: drop(DropTransferOnly)},

		// not_reusable and empty
		{reply: "这位顾客的订单已补发，单号见短信。", reusable: &no, want: drop(DropNotReusable)},
		{reply: "   ", want: drop(DropEmpty)},
		{reply: "退货请在订单页申请售后。", question: " ", want: drop(DropEmpty)},

		// too_short
		{reply: "好的", want: drop(DropTooShort)},
		{reply: "OK", want: drop(DropTooShort)},
		{reply: "谢谢您的耐心等待，祝您生活愉快！", want: drop(DropTooShort)},
		{reply: "Thanks! Have a nice day.", want: drop(DropTooShort)},
		{reply: "嗯嗯", want: drop(DropTooShort)},
		{reply: "👍", want: drop(DropTooShort)},
		{reply: "不客气～还有其他问题吗？", want: drop(DropTooShort)},
		{reply: "是的", want: drop(DropTooShort)},
		{reply: "抱歉给您带来不便，敬请谅解。", want: drop(DropTooShort)},
		{reply: "Sorry for the inconvenience.", want: drop(DropTooShort)},
		{reply: "Yes.", want: drop(DropTooShort)},
		{reply: "多謝您的支持，再見！", want: drop(DropTooShort)},
		{reply: "您好，好的，谢谢", want: drop(DropTooShort)},
		{reply: "Free.", want: drop(DropTooShort)},
		{reply: "請問還有什麼需要幫忙的嗎？", want: drop(DropTooShort)},
		{reply: "不好意思讓您久等了", want: drop(DropTooShort)},
		{reply: "Thank you for contacting Acme Support!", want: drop(DropTooShort)},

		// kept: real content, with or without boilerplate around it
		{reply: "您好，退货请在订单页点击申请售后，7天内可无理由退货。", want: keep},
		{reply: "目前全场满99元包邮，偏远地区除外。", want: keep},
		{reply: "您好，我們支持貨到付款，下單時選擇即可。", want: keep},
		{reply: "Hi there! You can return any item within 30 days from the Orders page.", want: keep},
		{reply: "Let me check... Your order shipped yesterday and should arrive by Friday.", want: keep},
		{reply: "包邮", want: keep},
		{reply: "Free shipping on orders over $50.", want: keep},
		{reply: "请稍等，已经查到了：您的快递在中转站，预计明天送达。", want: keep},
		{reply: "已为您转接人工。另外，发票可以在订单详情页自助申请。", want: keep},
		{reply: "Thanks for waiting! The refund has been issued to your original payment method; it takes 3-5 business days.", want: keep},
		{reply: "亲，尺码偏小，建议拍大一码哦", want: keep},
		{reply: "您好，在的。优惠券在结算页面自动抵扣，无需手动输入。", want: keep},
		{reply: "No, we don't ship to P.O. boxes.", want: keep},
		{reply: "可以的，支持7天无理由退换", want: keep},
		{reply: "您好，会员积分可以在“我的-积分”中查看，100积分抵1元。", want: keep},
		{reply: "Hello! To change your shipping address, open the order and tap Edit Address before it ships.", want: keep},
		{reply: "我帮您查询了，您的订单已经在配送中，今天下午送达。", want: keep},
		{reply: "Sorry to hear that! Please send a photo of the damaged item and we'll send a replacement.", want: keep},
		{reply: "暂不支持。", want: keep},
		{reply: "Yes, it's machine washable.", want: keep},
		{reply: "稍等哈～这款是纯棉的，可以机洗。", want: keep},
		{reply: "好的，已为您修改收货地址，请在订单详情页确认。", want: keep},
		{reply: "已为您转接人工，人工客服工作时间为9:00-21:00。", want: keep},
		{reply: "您好，發票會隨貨寄出，如需電子發票請在備註說明。", want: keep},
		{reply: "Our store is open 9am-6pm, Monday to Saturday.", want: keep},
		{reply: "这款手机支持5G双卡双待。", reusable: &yes, want: keep},
		{reply: "您好，请稍等，正在为您查询。查询结果：该商品下周一补货。", want: keep},
		{reply: "亲，这边查到您的包裹已签收了哦", want: keep},
		{reply: "我们会在24小时内发货", want: keep},
		{reply: "备注发票抬头即可", want: keep},
		{reply: "I've escalated this to our team. Meanwhile, you can track the parcel with the link in your confirmation email.", want: keep},
	}
	for _, tc := range tests {
		q := tc.question
		if q == "" {
			q = "问题"
		}
		ok, reason := Gate(Resolved{Question: q, Reply: tc.reply, Reusable: tc.reusable})
		if diff := cmp.Diff(tc.want, verdict{ok, reason}); diff != "" {
			t.Errorf("Gate(%q) (-want +got):\n%s", tc.reply, diff)
		}
	}
	if len(tests) < 60 {
		t.Errorf("only %d cases", len(tests))
	}
}

// TestGateReasonsAreListed checks that every reason Gate can return is in
// DropReasons, so counters that pre-fill zeros miss none.
func TestGateReasonsAreListed(t *testing.T) {
	listed := map[DropReason]bool{}
	for _, r := range DropReasons() {
		listed[r] = true
	}
	for _, r := range []DropReason{DropNotReusable, DropEmpty, DropTransferOnly, DropHolding, DropGreetingOnly, DropTooShort} {
		if !listed[r] {
			t.Errorf("DropReasons lacks %q", r)
		}
	}
}

// TestGateJiningResolved runs the gate over the jining evaluation set of
// resolved replies when it is present ($JIEDA_EVAL_DIR/jining, else the
// shared checkout beside this one): they are real answers, so few should
// drop.
func TestGateJiningResolved(t *testing.T) {
	dir := os.Getenv("JIEDA_EVAL_DIR")
	if dir == "" {
		dir = "../../../shared/eval"
	}
	path := filepath.Join(dir, "jining", "resolved.jsonl")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", path)
	}
	items, err := ReadResolvedFile(path)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[DropReason]int{}
	kept := 0
	for _, it := range items {
		ok, reason := Gate(it)
		if ok {
			kept++
			continue
		}
		counts[reason]++
		if counts[reason] <= 3 {
			t.Logf("dropped %s: %q", reason, it.Reply)
		}
	}
	t.Logf("%d items: %d kept", len(items), kept)
	for _, r := range DropReasons() {
		t.Logf("  %-13s %d", r, counts[r])
	}
	if dropped := len(items) - kept; dropped*100 > len(items) {
		t.Errorf("dropped %d of %d real answers (over 1%%)", dropped, len(items))
	}
}

func BenchmarkGate(b *testing.B) {
	item := Resolved{Question: "怎么退货", Reply: "您好，退货请在订单页点击申请售后，7天内可无理由退货。感谢您的耐心等待，祝您购物愉快！"}
	for b.Loop() {
		Gate(item)
	}
}

func FuzzGate(f *testing.F) {
	for _, s := range []string{"您好", "let me check", "已为您转接人工", "好的，谢谢", "您好，退货请在订单页申请售后。", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		ok, reason := Gate(Resolved{Question: "q", Reply: reply})
		if ok != (reason == "") {
			t.Fatalf("Gate(%q) = %v, %q", reply, ok, reason)
		}
	})
}

// TestPhrasePrefilter checks each pattern's prefilter against the
// pattern itself: at every position of every text, a pattern that matches
// must start with a rune its prefilter lets through.
func TestPhrasePrefilter(t *testing.T) {
	texts := []string{
		"您好，请稍等，已為您轉接人工客服。感谢您的耐心等待，祝您生活愉快！",
		"hi there, let me check. i've escalated this to our team; have a nice day. ok thanks",
		"亲亲在的呢～哈喽 嗨 早上好 欢迎光临 我是客服小美 有什么可以帮您的吗 好的 不客气",
		"good morning, this is anna from the support team. one moment please. you're welcome",
		"会有专人在24小时内联系您，请保持电话畅通。工单已创建。they will contact you within 2 days.",
		"退货请在订单页点击申请售后，7天内可无理由退货。free shipping over $50.",
	}
	for _, text := range texts {
		s := gateNormalize(text)
		for pos, r := range s {
			for _, p := range phrases {
				if m := p.re.FindStringIndex(s[pos:]); m != nil && m[1] > 0 && !p.canStart(r) {
					t.Errorf("%s matches %q at %d but its prefilter refuses %q", p.re, s[pos:pos+m[1]], pos, r)
				}
			}
		}
	}
	for _, r := range "退货订单xzq7" {
		for _, p := range phrases {
			if p.canStart(r) {
				t.Errorf("%s: prefilter lets %q through", p.re, r)
			}
		}
	}
}
