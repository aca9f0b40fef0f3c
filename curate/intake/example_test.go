package intake_test

import (
	"fmt"
	"strings"

	"github.com/jieda/jieda/curate/intake"
)

func ExampleGate() {
	for _, reply := range []string{
		"您好，退货请在订单页点击申请售后，7天内可无理由退货。",
		"您好，请稍等",
		"已为您转接人工",
		"hi there",
		"Thanks! Have a nice day.",
	} {
		if ok, reason := intake.Gate(intake.Resolved{Question: "怎么退货？", Reply: reply}); ok {
			fmt.Println("keep")
		} else {
			fmt.Println("drop:", reason)
		}
	}
	// Output:
	// keep
	// drop: holding
	// drop: transfer_only
	// drop: greeting_only
	// drop: too_short
}

func ExampleScan() {
	const file = `{"question": "发票怎么开？", "reply": "在订单详情页点击申请发票。", "ticket": "T-1"}
{"question": "包邮吗？", "reply": "满99元包邮。"}
{"question": "", "reply": "缺问题的一行"}
{"question": "能改地址吗？", "reply": "发货前可在订单页修改。"}
`
	lastDone := 1 // an earlier run stopped after line 1
	err := intake.Scan(strings.NewReader(file), intake.FormatJSONL, func(line int, item intake.Resolved) error {
		if line <= lastDone {
			return nil
		}
		fmt.Println(line, item.Question, item.Key()[:14])
		return nil
	})
	fmt.Println(err)
	// Output:
	// 2 包邮吗？ sha256:464c897
	// 4 能改地址吗？ sha256:1919458
	// 1 invalid line(s):
	//   line 3: invalid resolved reply: empty question
}

func ExampleParseGeneric() {
	item, err := intake.ParseGeneric([]byte(`{"question": "支持花呗吗？", "reply": "支持，结算时选择花呗分期。", "csat": 5, "ticket": 42}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(item.Question, item.Reply, *item.CSAT, item.Key())
	// Output: 支持花呗吗？ 支持，结算时选择花呗分期。 5 ticket:42
}
