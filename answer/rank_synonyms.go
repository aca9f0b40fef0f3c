package answer

import (
	"slices"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/jieda/jieda/embed"
)

// Concepts are the reranker's hand-written near-synonyms: groups of words
// that customers and knowledge bases use for the same thing (办理, 开通,
// 申请; 限额, 额度, 最多; "top up", "add money"). A text that contains any
// word of a group also gets the group's concept term, so a query and an
// article that say the same thing in different words still share a term.
// A concept term is weighted like any other, by how many articles'
// questions have it, times termConcept; the exact word's own terms still
// match too, so meeting the exact word is worth more than meeting a synonym.
//
// The groups are shop-independent knowledge of customer-service language
// (banking, payments, accounts, devices, fees, time); a word may belong to
// more than one group.

// termConcept is the weight of a concept term relative to a content term,
// chosen by measurement on labeled Chinese and English sets (0.25 to 1.5
// tried): a group's term stands for several words, and a rare concept (挂失,
// 限额) says as much about a question as its words do.
const termConcept = 1.5

// zhConcepts are Chinese groups, in simplified form. A word that has ASCII
// letters only matches whole (atm does not match inside atmosphere).
var zhConcepts = [][]string{
	{"怎么", "如何", "怎样", "怎么样", "咋", "怎么办", "怎么做", "怎么弄", "怎么操作", "如何操作", "怎么处理", "如何处理", "怎样处理"},
	{"办理", "开通", "申请", "开立", "开办", "申办", "开设", "开户", "办卡", "开卡", "注册"},
	{"查询", "查看", "查查", "查一下", "查到", "查找", "怎么查", "查一查"},
	{"取消", "撤销", "注销", "解约", "停用", "关闭", "退订", "销户", "不用了", "不要了", "不想用"},
	{"密码", "口令", "pin码", "支付密码", "登录密码", "交易密码"},
	{"银行卡", "借记卡", "储蓄卡", "卡片", "信用卡"},
	{"余额", "还有多少钱", "剩多少钱", "还剩多少", "剩下的钱", "有多少钱", "还有钱", "账户余额"},
	{"收费", "手续费", "费用", "收钱", "贵不贵", "要钱吗", "收不收费", "扣费", "费率", "收取", "免费", "花多少钱"},
	{"限额", "额度", "上限", "最多", "最高", "最大", "限制", "封顶", "转多少", "取多少"},
	{"多久", "多长时间", "几天", "几个小时", "多少天", "几个工作日", "时效", "什么时候能到", "多长时间到"},
	{"到账", "到帐", "入账", "入帐", "收到钱", "到了没"},
	{"服务时间", "营业时间", "几点", "什么时候", "何时", "时间段", "全天", "24小时", "一整天", "工作时间"},
	{"资料", "材料", "证件", "手续", "带什么", "带哪些", "需要什么", "需要哪些", "准备什么", "提供什么"},
	{"身份证", "身份证件", "证件", "户口本", "护照"},
	{"丢失", "丢了", "遗失", "丢掉", "不见了", "找不到", "被盗", "掉了", "弄丢", "挂失"},
	{"损坏", "坏了", "坏掉", "断了", "折断", "破损", "消磁", "坏的", "磨损", "划伤", "弯了"},
	{"故障", "出毛病", "不能用", "用不了", "无法使用", "没反应", "失灵", "出问题", "坏了", "不好使", "异常", "不正常"},
	{"登不上", "无法登录", "登录不了", "登陆不上", "登陆不了", "不能登录", "登录失败", "进不去", "登不进"},
	{"登录", "登陆", "登入"},
	{"升级", "更新", "新版本", "最新版"},
	{"删除", "卸载", "删掉", "删了", "移除", "解绑", "去掉"},
	{"修改", "更改", "变更", "更换", "改成", "换成", "换一个", "换个", "改一下"},
	{"忘记", "忘了", "想不起来", "记不得", "记不清", "重置", "找回"},
	{"锁定", "被锁", "锁了", "冻结", "解锁", "解冻", "锁住"},
	{"转账", "转钱", "汇款", "打款", "转款", "汇钱", "转给", "转帐", "转出"},
	{"存款", "存钱", "存入", "存现", "存进", "存到"},
	{"取款", "取钱", "取现", "提现", "取出", "提款"},
	{"现金", "现钞"},
	{"atm", "自助设备", "取款机", "存取款一体机", "自动柜员机", "自助机", "存款机", "提款机", "柜员机", "一体机"},
	{"网点", "柜台", "营业厅", "支行", "营业网点", "柜面", "分行"},
	{"客服电话", "热线", "服务热线", "电话号码", "联系电话", "联系方式", "人工客服", "客服", "号码是多少"},
	{"网站", "网址", "官网", "主页", "官方网站", "网页"},
	{"投诉", "不满", "不满意", "态度差", "太慢", "举报", "建议", "意见", "差评"},
	{"手机号", "手机号码", "预留手机", "绑定手机", "预留号码"},
	{"话费", "电话费", "手机费", "充话费", "通信费"},
	{"缴费", "交费", "缴纳", "生活缴费", "水电费", "燃气费", "宽带费", "水费", "电费", "交钱"},
	{"支付", "付款", "付钱", "买单", "消费", "刷卡"},
	{"退款", "退钱", "退回", "返还", "退货", "退还"},
	{"什么是", "是什么", "定义", "含义", "意思", "怎么回事", "介绍", "是指", "概念", "指的是"},
	{"外币", "外汇", "美元", "欧元", "日元", "港币", "人民币以外"},
	{"真伪", "真假", "辨别", "鉴别", "假的", "真的假的", "识别"},
	{"过期", "到期", "逾期", "失效", "有效期", "超期"},
	{"短信提醒", "短信通知", "动账通知", "动账提醒", "消息提醒", "短信", "通知"},
	{"u盾", "ukey", "u-key", "usb key", "uk", "证书", "key", "密码器", "令牌"},
	{"贷款", "借款", "借钱"},
	{"还款", "还钱", "还贷", "还款额"},
	{"利率", "利息", "年化", "收益率", "收益"},
	{"理财", "理财产品", "投资", "基金"},
	{"签约", "开通", "绑定", "关联", "加挂", "添加", "追加", "下挂"},
	{"兑换", "换购", "换取", "抵扣", "抵现"},
	{"回单", "凭证", "凭条", "证明", "收据", "回执"},
	{"明细", "流水", "交易记录", "账单", "对账单", "记录"},
	{"打印", "打出来", "打一份"},
	{"失败", "不成功", "没成功", "出错", "报错", "错误"},
	{"吐钞", "出钞", "钱没出来", "没出钱", "钱没有出来", "没有出钞", "不出钱", "吞卡"},
	{"企业", "公司", "对公", "单位", "商户"},
	{"个人", "对私"},
	{"网上银行", "网银"},
	{"手机银行", "客户端", "app", "手机app", "手机端"},
	{"微信", "公众号", "微信银行"},
	{"哪里", "在哪", "哪儿", "什么地方", "去哪", "哪个网点"},
	{"代办", "代理", "委托", "代为", "帮别人", "替别人", "别人帮"},
	{"他人", "别人", "其他人", "朋友", "家人", "亲戚", "第三方"},
	{"安全", "风险", "盗用", "被别人用", "盗刷", "诈骗"},
	{"版本", "机型", "型号", "系统版本", "安卓", "苹果", "iphone", "android", "ios"},
	{"调整", "提高", "提升", "调高", "增加", "调低"},
	{"跨行", "他行", "其他银行", "别的银行", "外行"},
	{"行内", "本行", "同行", "你们行"},
	{"外地", "异地", "外省", "跨地区"},
	{"境外", "国外", "海外", "出国", "国际"},
	{"激活", "启用", "开启"},
	{"积分", "分数", "点数"},
	{"礼品", "商品", "奖品", "礼物"},
	{"额度", "信用额度", "可用额度"},
	{"优惠", "活动", "折扣", "返现", "福利"},
	{"合作", "支持哪些", "有哪些银行"},
	{"条件", "要求", "资格", "门槛", "需要满足", "年龄限制"},
	{"用途", "作用", "好处", "功能", "有什么用", "用处", "干什么用"},
	{"特点", "特色", "优势", "优点", "区别", "不同"},
	{"规则", "注意事项", "须知", "规定", "规范", "标准"},
	{"流程", "步骤", "操作步骤", "程序", "过程", "方法"},
	{"渠道", "方式", "途径", "方法", "办法"},
	{"放款", "放贷", "贷款到账", "批下来", "审批"},
	{"补办", "补卡", "重新办", "再办", "换卡", "补发"},
}

// enConcepts are English groups. Their words are stemmed (see stem) and a
// word matches whole, so inflections meet (topped up, top up).
var enConcepts = [][]string{
	{"top up", "topup", "add money", "add fund", "load money", "put money", "deposit", "fund my"},
	{"transfer", "send money", "wire", "pay someone", "sent money"},
	{"refund", "money back", "reimburse", "return"},
	{"cancel", "revoke", "stop", "undo", "reverse"},
	{"fee", "charge", "cost", "commission", "extra", "price"},
	{"pin", "passcode", "password", "code"},
	{"lost", "stolen", "missing", "misplaced", "lose", "cant find"},
	{"decline", "reject", "fail", "refuse", "denied", "not work", "wont work", "didnt work", "doesnt work", "not accepted"},
	{"pending", "arrive", "receive", "waiting", "still not", "not yet", "not show", "hasnt"},
	{"exchange rate", "rate", "conversion", "convert"},
	{"identity", "verify", "verification", "id", "kyc", "proof"},
	{"atm", "cash machine", "cashpoint"},
	{"withdraw", "withdrawal", "take out", "get cash"},
	{"phone", "mobile", "app"},
	{"close", "delete", "terminate", "remove"},
	{"limit", "maximum", "max", "minimum", "how much can"},
	{"change", "update", "edit", "modify", "replace"},
	{"wrong", "incorrect", "mistake", "error"},
	{"abroad", "overseas", "foreign", "international", "country"},
	{"currency", "currencies", "euro", "dollar", "gbp", "usd", "eur", "pound"},
	{"virtual", "disposable", "online card"},
	{"new card", "replacement", "replace", "another card"},
	{"contactless", "tap"},
	{"account", "profile"},
	{"how long", "when", "time", "days"},
	{"twice", "double", "duplicate", "two times"},
	{"freeze", "block", "lock", "frozen"},
	{"salary", "income", "wage", "paycheck"},
}

// conceptMatcher finds the groups whose words a text has.
type conceptMatcher struct {
	// zh maps a member's first character to the members it starts, each
	// with its group's term id.
	zh map[rune][]conceptWord
	// en maps a member's first (stemmed) word to the members it starts.
	en map[string][]conceptPhrase
	// ids holds every concept term id.
	ids map[uint32]bool
}

// conceptGroup is one group of near-synonyms.
type conceptGroup struct {
	id      uint32   // the concept term's id
	members []string // the group's words, as written in the table
	// terms caches the members' sparse terms under the last encoder asked
	// (see memberTerms).
	terms atomic.Pointer[groupTerms]
}

// groupTerms are a group's members' terms under one sparse encoder.
type groupTerms struct {
	sp    *embed.SparseEncoder
	terms [][]string
}

// memberTerms returns sp's terms of each member: the groups are fixed, so
// a question's synonym expansion tokenizes them once, not per question.
func (g *conceptGroup) memberTerms(sp *embed.SparseEncoder) [][]string {
	if c := g.terms.Load(); c != nil && c.sp == sp {
		return c.terms
	}
	terms := make([][]string, len(g.members))
	for i, m := range g.members {
		terms[i] = sp.Terms(m)
	}
	g.terms.Store(&groupTerms{sp: sp, terms: terms})
	return terms
}

type conceptWord struct {
	word  string
	latin bool // ASCII letters only: match whole words
	g     *conceptGroup
}

type conceptPhrase struct {
	words []string // stemmed
	g     *conceptGroup
}

// concepts is the matcher for zhConcepts and enConcepts.
var concepts = newConceptMatcher(zhConcepts, enConcepts)

// conceptID is the term id of a table's group, named by its first word; the leading NUL keeps it
// apart from any term the sparse encoder makes.
func conceptID(table, first string) uint32 {
	return embed.TermID("\x00concept:" + table + ":" + first)
}

func newConceptMatcher(zh, en [][]string) *conceptMatcher {
	m := &conceptMatcher{zh: map[rune][]conceptWord{}, en: map[string][]conceptPhrase{}, ids: map[uint32]bool{}}
	for _, words := range zh {
		g := &conceptGroup{id: conceptID("zh", words[0]), members: words}
		m.ids[g.id] = true
		for _, w := range words {
			r, _ := utf8.DecodeRuneInString(w)
			m.zh[r] = append(m.zh[r], conceptWord{word: w, latin: isLatinWord(w), g: g})
		}
	}
	for _, phrases := range en {
		g := &conceptGroup{id: conceptID("en", phrases[0]), members: phrases}
		m.ids[g.id] = true
		for _, p := range phrases {
			ws := strings.Fields(p)
			for i, w := range ws {
				ws[i] = stem(w)
			}
			m.en[ws[0]] = append(m.en[ws[0]], conceptPhrase{words: ws, g: g})
		}
	}
	return m
}

// match calls emit with every group that normalized text has a word of
// (possibly more than once); words are the text's Latin words, stemmed, in
// order.
func (m *conceptMatcher) match(norm string, words []string, emit func(*conceptGroup)) {
	for i, r := range norm {
		for _, cw := range m.zh[r] {
			if !strings.HasPrefix(norm[i:], cw.word) {
				continue
			}
			if cw.latin && (i > 0 && isASCIILetter(norm[i-1]) || i+len(cw.word) < len(norm) && isASCIILetter(norm[i+len(cw.word)])) {
				continue
			}
			emit(cw.g)
		}
	}
	for i, w := range words {
		for _, p := range m.en[w] {
			if i+len(p.words) <= len(words) && slices.Equal(words[i:i+len(p.words)], p.words) {
				emit(p.g)
			}
		}
	}
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
