package pii

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// ctxKind is what the words right before a number say it is.
type ctxKind uint8

const (
	ctxNone ctxKind = iota
	ctxPhone
	ctxOrder
	ctxTracking
	ctxCard
	ctxID
	ctxProduct // a product code: barcode, SKU, model — not personal data
)

type ctxKeyword struct {
	kw    string // lower case
	kind  ctxKind
	latin bool // must start at a word boundary
}

// ctxByLast buckets the keywords by their last byte, lower-cased.
var ctxByLast = func() (b [256][]ctxKeyword) {
	for _, k := range ctxKeywords {
		c := k.kw[len(k.kw)-1]
		b[c] = append(b[c], k)
		if c >= 'a' && c <= 'z' {
			b[c-32] = append(b[c-32], k)
		}
	}
	return b
}()

var ctxKeywords = func() []ctxKeyword {
	list := map[ctxKind][]string{
		ctxPhone: {
			"电话", "電話", "手机", "手機", "手机号", "手機號", "手机号码", "手機號碼", "号码", "號碼",
			"联系方式", "聯繫方式", "聯絡方式", "联系", "聯繫", "聯絡", "联络", "致电", "致電", "来电", "來電",
			"拨打", "撥打", "打", "座机", "座機", "固话", "固話", "传真", "傳真", "手提", "微信", "热线电话",
			"tel", "telephone", "phone", "mobile", "cell", "call", "call me", "fax", "contact", "whatsapp",
			"wechat", "text me", "reach me", "mob", "ph",
		},
		ctxOrder: {
			"订单", "訂單", "订单号", "訂單號", "订单编号", "訂單編號", "订单号码", "訂單號碼", "单号", "單號",
			"订单id", "order", "order id", "order ref", "order reference", "purchase order",
		},
		ctxTracking: {
			"快递单号", "快遞單號", "运单号", "運單號", "物流单号", "物流單號", "快递号", "快遞號", "运单", "運單",
			"运单编号", "運單編號", "物流编号", "物流號", "物流号", "快递", "快遞", "物流", "追踪号", "追蹤號",
			"追踪号码", "追蹤號碼", "查询号", "查詢號", "包裹号", "包裹號",
			"tracking", "tracking id", "tracking code", "waybill", "awb", "shipment", "parcel",
		},
		ctxCard: {
			"卡号", "卡號", "银行卡", "銀行卡", "信用卡", "储蓄卡", "儲蓄卡", "借记卡", "借記卡", "银联卡", "銀聯卡",
			"card", "credit card", "debit card", "visa", "mastercard", "amex", "unionpay", "银行卡号", "銀行卡號",
		},
		ctxID: {
			"身份证", "身份證", "身分證", "身份证号", "身份證號", "身份证号码", "身份證號碼", "身分證字號", "身份證字號",
			"证件号", "證件號", "证件号码", "證件號碼", "id", "id card", "identity card", "national id", "resident id",
		},
		ctxProduct: {
			"条码", "條碼", "条形码", "條形碼", "商品码", "商品碼", "货号", "貨號", "型号", "型號", "商品编号", "商品編號",
			"商品编码", "商品編碼", "sku", "barcode", "ean", "upc", "isbn", "gtin", "model", "part",
		},
	}
	var out []ctxKeyword
	for k, kws := range list {
		for _, kw := range kws {
			out = append(out, ctxKeyword{kw: kw, kind: k, latin: kw[0] < utf8.RuneSelf})
		}
	}
	// Longest first, so "订单号码" beats "号码" and "order id" beats "id".
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].kw) != len(out[j].kw) {
			return len(out[i].kw) > len(out[j].kw)
		}
		return out[i].kw < out[j].kw
	})
	return out
}()

// fillerWords may stand between a keyword and its number; strong ones make
// the keyword explicit ("order no.", "order number").
var fillerWords = []struct {
	w      string
	strong bool
}{
	{"number", true}, {"num", true}, {"no", true}, {"nr", true}, {"is", false}, {"at", false},
	{"on", false}, {"me", false}, {"my", false}, {"our", false}, {"your", false}, {"the", false},
	{"here", false}, {"was", false}, {"are", false}, {"of", false}, {"via", false},
}

var hanFillers = []string{"是", "为", "為", "的", "如下", "就是", "编号", "編號", "号", "號", "码", "碼"}

// contextBefore reports the kind of keyword that ends right before pos,
// allowing only filler (spaces, ':', '#', "是", "is", "number", …) in
// between. strong is true when the keyword or filler makes the reference
// explicit ("订单号", "order #", "order number"), false for a bare
// "订单" / "order".
func contextBefore(s string, pos int) (kind ctxKind, strong bool) {
	start := max(pos-64, 0)
	for start < pos && !utf8.RuneStart(s[start]) {
		start++
	}
	w := s[start:pos]
	for step := 0; step < 6; step++ {
		before := w
		w = strings.TrimRight(w, " \t:#=(-.,")
		if strings.Contains(before[len(w):], "#") {
			strong = true // "order #…"
		}
		if w == "" {
			return ctxNone, false
		}
		if k, exact := endsWithKeyword(w); k != ctxNone {
			return k, strong || exact
		}
		nw, st, ok := stripFiller(w)
		if !ok {
			return ctxNone, false
		}
		strong = strong || st
		w = nw
	}
	return ctxNone, false
}

// endsWithKeyword finds the longest keyword w ends with. exact reports a
// keyword that is explicit on its own (not a bare "订单" / "order").
func endsWithKeyword(w string) (ctxKind, bool) {
	for _, k := range ctxByLast[w[len(w)-1]] {
		if len(w) < len(k.kw) {
			continue
		}
		tail := w[len(w)-len(k.kw):]
		if k.latin {
			if !strings.EqualFold(tail, k.kw) {
				continue
			}
			if i := len(w) - len(k.kw); i > 0 && isASCIILetter(w[i-1]) {
				continue
			}
		} else if tail != k.kw {
			continue
		}
		return k.kind, !weakKeyword(k.kw)
	}
	return ctxNone, false
}

func weakKeyword(kw string) bool {
	switch kw {
	case "订单", "訂單", "order", "快递", "快遞", "物流", "tracking", "shipment", "parcel", "id", "card", "visa":
		return true
	}
	return false
}

// stripFiller removes one filler word from the end of w.
func stripFiller(w string) (string, bool, bool) {
	for _, h := range hanFillers {
		if strings.HasSuffix(w, h) {
			return w[:len(w)-len(h)], h != "是" && h != "为" && h != "為" && h != "的", true
		}
	}
	for _, f := range fillerWords {
		if len(w) < len(f.w) {
			continue
		}
		i := len(w) - len(f.w)
		if strings.EqualFold(w[i:], f.w) && (i == 0 || !isASCIILetter(w[i-1])) {
			return w[:i], f.strong, true
		}
	}
	return w, false, false
}
