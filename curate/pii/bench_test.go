package pii

import "testing"

var benchTexts = map[string]string{
	// A typical agent reply (~100 characters) with nothing to scrub.
	"reply_clean": "您好，这款商品现在有货，今天下午4点前付款当天发货，一般2到3天送达。满199元包邮，退换货7天无理由，如有问题随时联系我们哦。",
	// A typical reply with a phone, an order number and an address.
	"reply_pii": "张先生您好，您的订单号2024050112345678已发货，顺丰单号SF1234567890123，将寄到深圳市南山区科技园路18号3栋1201室，有问题请打13812345678。",
	"english":   "Hi Ms. Chen, your order #A1B2C3D4E5 ships to 221B Baker Street today. Call +44 20 7946 0958 or email chen@example.com.",
}

func BenchmarkScrub(b *testing.B) {
	s, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for name, text := range benchTexts {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				_ = s.Scrub(text)
			}
		})
	}
}
