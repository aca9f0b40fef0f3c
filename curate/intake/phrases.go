package intake

import (
	"cmp"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// The boilerplate patterns Gate strips from a reply before it measures
// what is left. They run on gateNormalize'd text (NFKC, lower case).
// Chinese patterns are written in simplified characters; zh widens each
// character that has a traditional form into a class of both, so that
// "請稍候" and "已為您轉接人工" match too.
//
// The patterns are tried in kind order, then in listed order, at each
// position, and the first that matches wins: so a phrase of an earlier
// kind wins over a prefix of a later one ("请稍等" is holding, not the
// "请" of politeness), and within a kind longer phrases come before their
// prefixes.

type kind int

const (
	kindTransfer kind = iota
	kindHolding
	kindGreeting
	kindPolite
	numKinds
)

// Shared English tails.
const (
	enStaffWords = `team|specialist|supervisor|department|manager|colleague|agent|representative|staff`
	enStaff      = `(?:` + enStaffWords + `)`
	enToStaff    = `(?: to (?:our|the|a|an) (?:[a-z-]+ ){0,2}` + enStaff + `)`
	enCase       = `(?:case|request|issue|ticket|query|question|complaint|order|account|chat)`
	enWithin     = `(?: (?:shortly|soon|asap|as soon as possible|today|within \d+ (?:hours?|business days?|working days?|days?)))`
	// cnActor is who or when, before a Chinese verb: 我, 这边, 已经, 正在, 马上, …
	cnActor = `(?:我们|我这边|这边|我|客服|已经|已|正在|马上|立即|立刻|现在|这就|先|将|会|稍后)`
	cnFor   = `(?:(?:为|帮|给|替)[您你]?)`
)

var kindPatterns = [numKinds][]string{
	kindTransfer: {
		// 已为您转接人工 / 已帮您提交给相关部门处理 / 帮您反馈给售后
		cnActor + `*` + cnFor + `?(?:转接|转给|转交|转到|转至|转入|升级|提交|反馈|上报|报备|登记|提报|递交|催促|催单|加急|备注|转)(?:一下|下)?(?:给|到|至|了|上去)?` +
			`(?:我们的|相关的|相关|专门的)?(?:人工客服|人工|客服专员|售后专员|专员|专人|专属客服|相关部门|部门|同事|相关人员|工作人员|负责人|主管|上级|售后|技术部门|技术|后台|仓库|快递公司|快递|物流|商家)?` +
			`(?:同事|人员)?(?:这边)?(?:进行|去|来)?(?:尽快)?(?:处理|跟进|核实|核查|解决|回复|对接|发货|派送)?(?:了|中)?`,
		// 会有专人与您联系 / 相关部门会在24小时内联系您
		`(?:会|将)?(?:有)?(?:专人|专员|相关同事|相关部门|相关人员|同事|工作人员|售后|技术人员)(?:会|将)?(?:在)?(?:\d+(?:个)?(?:小时|工作日|天)内)?(?:尽快|第一时间)?` +
			`(?:与[您你]联系|联系[您你]|给[您你]回电|回电|回复[您你]|答复[您你]|为[您你]处理|处理|跟进)(?:的)?`,
		`请[您你]?(?:保持|留意)(?:电话|手机)(?:畅通|来电)?`,
		`(?:请)?[您你]?(?:耐心)?(?:等待|等候)(?:处理|回复|回电|结果|通知)(?:结果)?`,
		`工单(?:号)?(?:已经|已)?(?:创建|提交|生成)(?:成功)?`,
		`\b(?:(?:i've|i have|we've|we have|i|we)(?: just)? )?(?:escalated|transferred|forwarded|passed on|passed|raised|reported|submitted|handed over|referred)` +
			`(?: (?:this|it|that|your ` + enCase + `))?(?: (?:on|over))?` + enToStaff + `?` + enWithin + `?\b`,
		`\b(?:this|it|your ` + enCase + `) (?:has been|was|is being|will be) (?:escalated|transferred|forwarded|passed on|reported|submitted|assigned|handed over|referred)` + enToStaff + `?\b`,
		`\b(?:i'm|i am|we're|we are|i'll|i will|we'll|we will|let me) (?:transfer|transferring|escalate|escalating|forward|forwarding|connect|connecting|pass|passing)` +
			`(?: (?:you|this|it|that|your ` + enCase + `))?(?: (?:on|over))?(?: to (?:our|the|a|an) (?:[a-z-]+ ){0,2}(?:` + enStaffWords + `|human|person))?(?: now)?\b`,
		`\b(?:(?:our|the|a|an) (?:[a-z-]+ ){0,2}` + enStaff + `|they|someone(?: from (?:our|the) (?:[a-z-]+ ){0,2}` + enStaff + `)?) will ` +
			`(?:contact you|call you|email you|reach out(?: to you)?|get back to you|get in touch(?: with you)?|follow up(?: with you)?|be in touch)` + enWithin + `?\b`,
		`\bplease (?:wait|hold)(?: on)?,? while (?:i|we) (?:transfer|connect) you` + enToStaff + `?\b`,
		`\b(?:you'll|you will) (?:be contacted|hear (?:back )?from (?:us|them|our team))` + enWithin + `?\b`,
		`\ba (?:ticket|case) has been (?:created|opened|raised)(?: for you)?\b`,
	},
	kindHolding: {
		`(?:请|麻烦)?[您你]?(?:再)?(?:稍微等一下|稍等|稍候|等一下|等一等|等一会儿|等一会|等等|等下)(?:一下|片刻|一会儿|一会|下)?`,
		`(?:请|麻烦)?[您你]?耐心(?:等待|等候)(?:一下|片刻)?`,
		// 我帮您查询 / 正在为您核实 / 我这边看一下您的订单
		cnActor + `+` + cnFor + `?(?:去)?(?:查询|查看|查一下|查下|查查|查|核实|核查|核对|确认|看一下|看下|看看|看|问一下|问下|问问|咨询一下|了解一下|处理|跟进)(?:一下|下)?(?:中)?` +
			`(?:(?:您的|你的|[您你])?(?:订单|物流|快递|情况|信息|记录|问题|账户|账号))?(?:中)?`,
		`(?:为|帮|给|替)[您你](?:查询|查看|查一下|查下|查|核实|核查|核对|确认|看一下|看下|看看|处理|跟进)(?:一下|下)?(?:中)?`,
		`(?:马上|稍后|尽快|很快|一会儿|一会)(?:给|为)?[您你]?(?:回复|答复)(?:[您你])?`,
		`(?:查询|核实|处理|确认)中`,
		`(?:我们|我|这边)?(?:会|将)(?:尽快|马上|第一时间)?(?:(?:为|给|帮)[您你])?(?:处理|回复[您你]?|答复[您你]?|跟进|核实)(?:的)?`,
		`(?:关于)?(?:这个问题)?(?:我们|我|这边)?(?:需要|要|得)?(?:跟|和|与|向)(?:同事|相关部门|主管|仓库|技术|售后)(?:确认|核实|核对|了解|沟通)(?:一下|下)?`,
		`(?:请|麻烦)[您你]?(?:提供|发送|发一下|发下|告知|告诉我)(?:一下|下)?(?:[您你]的)?(?:订单号|订单编号|单号|手机号码|手机号|账号|会员名|截图|照片)`,
		`\blet me (?:check|look|see|verify|confirm|find out|look into|look up|pull up|take a look|have a look|double check|double-check|quickly check)` +
			`(?: (?:on |at |into |up )?(?:that|this|it|your (?:order|account|request|case|details)))?(?: (?:for you|quickly|real quick|now|right now))*\b`,
		`\b(?:just )?(?:one|a|1) (?:moment|minute|sec|second|min)(?: please)?\b`,
		`\bplease (?:wait|hold)(?: (?:on|a moment|a minute|for a moment|while i check))?\b`,
		`\bhold on(?: (?:a moment|a sec|a second|please))?\b`,
		`\bgive me (?:a|one|just a|a few) (?:moment|minute|second|sec|minutes|moments|seconds)(?: please)?\b`,
		`\bbear with me(?: (?:a moment|please|for a moment))?\b`,
		`\b(?:i'm|i am|we're|we are) (?:checking on|checking|looking into|looking|reviewing|verifying)(?: (?:on |into )?(?:this|that|it|your (?:order|account|request|case)))?(?: (?:for you|now|right now))*\b`,
		`\b(?:i'll|i will|we'll|we will) (?:check|look into|verify|get back to you|follow up|look)(?: (?:on |into |at )?(?:this|that|it|your (?:order|account|request|case)))?` +
			`(?: (?:for you|shortly|soon|asap|right away|now|in a moment))*\b`,
		`\bchecking(?: (?:now|on it|for you))?\b`,
		`\b(?:could|can) you (?:please )?(?:provide|send|give) (?:me )?(?:your|the) (?:order (?:number|id)|email(?: address)?|account (?:number|email))\b`,
	},
	kindGreeting: {
		`(?:[您你]|大家|亲)好(?:呀|啊|哦|呢)?`,
		`(?:早上|上午|中午|下午|晚上)好|早安|午安`,
		`哈喽|哈啰|嗨`,
		`亲爱的(?:顾客|客户|用户|买家|会员)?|亲亲|亲`,
		`我在(?:的|呢|哦)?|在(?:的|呢|哦|线|吗)`,
		`欢迎(?:光临|来到|咨询|您的咨询|进店)`,
		`很高兴(?:为[您你])?服务|为[您你]服务`,
		`(?:我是|这里是)[\p{Han}a-z0-9]{0,8}?(?:客服|助理|顾问|专员)(?:小\p{Han}|[a-z]+)?(?:\d+号)?`,
		`(?:请问)?[您你]?(?:有)?什么(?:问题|事情|事|需要)?(?:可以|能|需要)(?:我)?(?:帮忙|帮助|帮到|为|帮|协助)?[您你]?(?:的|服务的|解决的)?(?:吗)?`,
		`(?:请问)?[您你]?(?:有|是|遇到了|遇到)(?:什么|啥)(?:问题|事情|事|需要|情况)(?:吗)?`,
		`\b(?:hello|hi|hey|hiya|howdy|greetings|good (?:morning|afternoon|evening|day))(?: (?:there|again|everyone|all|friend))?\b`,
		`\bdear (?:valued )?(?:customer|client|shopper|sir(?: or madam)?|madam)\b`,
		`\bwelcome(?: (?:back|to (?:our|the) (?:store|shop|support|chat|help desk)))?\b`,
		`\b(?:how|what) (?:can|may|could) (?:i|we) (?:help|assist|do for)(?: you)?(?: with)?(?: today)?\b`,
		`\bmy name is [a-z]+\b`,
		`\b(?:this is|you're chatting with|you are chatting with|you're speaking with|you are speaking with) [a-z]+(?: (?:from|at|with) (?:the )?(?:[a-z-]+ ){0,3}(?:support|team|customer service|service|help desk)(?: team)?)?\b`,
		`\bhow are you(?: doing)?(?: today)?\b|\bhope you(?:'re| are) (?:well|doing well)\b`,
	},
	kindPolite: {
		`(?:非常|十分|万分|真的)?(?:感谢|谢谢|多谢|谢啦)(?:[您你]|亲)?(?:的|对我们的)?(?:耐心)?(?:等待|等候|咨询|支持|理解|配合|来信|关注|反馈|信任|光临|惠顾|提醒)?`,
		`不客气|不用谢|没关系|别客气|应该的`,
		`好的|好滴|好嘞|好吧|是的|对的|没错|可以的|行的|收到|明白|了解|知道了|没问题|没事|好|对|可以|行`,
		`(?:请问)?[您你]?还有(?:什么|其他|别的|其它|啥)(?:问题|疑问|需要|事情|事)?(?:需要|可以)?(?:我)?(?:帮忙|帮助|帮到|为|帮|咨询|协助)?[您你]?(?:的|解决的|咨询的|服务的)?(?:吗|嘛|呢)?`,
		`祝[您你]?(?:生活|购物|工作|周末|节日|今天|一切|每天)?(?:愉快|顺利|开心|快乐|如意|健康)`,
		`再见|拜拜|回见`,
		`(?:非常|十分|实在|真的)?(?:抱歉|对不起|不好意思|歉意)`,
		`(?:给[您你])?带来(?:的)?不便|敬请谅解|还请谅解|请[您你]?(?:谅解|见谅)|深表歉意`,
		`欢迎(?:再次|下次)(?:光临|咨询|惠顾)|欢迎再来`,
		`(?:如有|有任何|有其他)?(?:问题|疑问|需要)(?:可以|请|欢迎)?(?:随时)?(?:联系|咨询|找)(?:我们|客服|我)?`,
		`麻烦[您你]了|辛苦(?:[您你])?了|打扰了|请问`,
		`(?:让|令)?[您你]?久等(?:了)?`,
		`\b(?:thanks a lot|thank you|thanks|thx|ty|many thanks)(?: (?:so|very) much)?` +
			`(?: (?:for|4) (?:(?:contacting|reaching out to|chatting with|choosing|shopping with) (?:us|[a-z]+(?: (?:support|store|shop|team))?)|` +
			`reaching out|getting in touch|writing in|(?:your |the )?(?:patience|waiting|understanding|message|email|question|inquiry|enquiry|time|info|information|feedback|cooperation|support)))?\b`,
		`\b(?:you're|you are|your) (?:very |most )?welcome\b|\bno (?:problem|worries)\b|\bmy pleasure\b|\b(?:glad|happy|pleased) to (?:help|assist)\b`,
		`\b(?:(?:i'm|i am|we're|we are) )?(?:so |very |really |truly )?sorry to hear (?:that|this|about that)\b`,
		`\bwe apologi[sz]e for (?:the|any) inconvenience(?: caused)?\b`,
		`\b(?:(?:i'm|i am|we're|we are) )?(?:so |very |really |terribly |truly )?(?:sorry|apologies|apologize|apologise)(?: (?:for|about) (?:the|any|this) (?:inconvenience|wait|delay|trouble|confusion))?\b`,
		`\b(?:have|enjoy) (?:a|an) (?:nice|great|good|wonderful|lovely|pleasant) (?:day|evening|weekend|one)\b`,
		`\b(?:is there )?anything else (?:(?:i|we) (?:can|could|may) (?:help|assist) (?:you )?with)?(?: today)?\b`,
		`\b(?:can|may|could) i (?:help|assist) (?:you )?with anything else(?: today)?\b`,
		`\bif you have any (?:other |more |further )?questions?,? (?:please |feel free to |don't hesitate to |do not hesitate to )?(?:contact|ask|reach out to|let) (?:us|me)(?: know)?(?: (?:anytime|any time|again))?\b`,
		`\bfeel free to (?:contact|reach out to|ask) (?:us|me)(?: (?:anytime|any time|again))?\b`,
		`\blet (?:me|us) know if (?:you have any (?:other |more |further )?questions?|there is anything else(?: (?:i|we) can (?:do|help with))?|you need anything else)\b`,
		`\b(?:good bye|goodbye|bye|take care|cheers|best regards|kind regards|warm regards|regards|best wishes|sincerely)\b`,
		`\b(?:ok|okay|kk|k|sure|alright|all right|got it|noted|understood|yes|yeah|yep|yup|nope|no|right|of course|certainly|great|perfect|cool|absolutely|i see|i understand|gotcha|indeed)\b`,
	},
}

// A phrase is one compiled pattern, anchored at the start of its input,
// with a cheap test of the runes a match can start with.
type phrase struct {
	kind     kind
	re       *regexp.Regexp
	canStart func(rune) bool
}

// phrases holds every pattern in kind order, then in listed order.
var phrases = func() []phrase {
	var out []phrase
	for k, pats := range kindPatterns {
		for _, p := range pats {
			expr := "^(?:" + zh(p) + ")"
			out = append(out, phrase{kind: kind(k), re: regexp.MustCompile(expr), canStart: firstRunes(expr)})
		}
	}
	return out
}()

// maxPhraseBytes bounds the text a phrase is matched against: far longer
// than any phrase, and short enough that the regexp package picks its
// fast backtracking matcher for these small patterns.
const maxPhraseBytes = 256

// matchPhrase reports the length and kind of the phrase at the start of
// s, whose first rune is r: the first pattern, in order, that matches
// (as one alternation of them all would choose), or 0 when none does.
func matchPhrase(s string, r rune) (int, kind) {
	if len(s) > maxPhraseBytes {
		s = s[:maxPhraseBytes]
	}
	for i := range phrases {
		p := &phrases[i]
		if !p.canStart(r) {
			continue
		}
		if loc := p.re.FindStringIndex(s); loc != nil && loc[1] > 0 {
			return loc[1], p.kind
		}
	}
	return 0, 0
}

// firstRunes returns a test for the runes a match of expr can start
// with, found by following the compiled program from its start through
// the instructions that consume nothing. A program that can match the
// empty string, or start with any rune, lets every rune through.
func firstRunes(expr string) func(rune) bool {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		panic(err) // the expression is a constant; regexp.MustCompile reports it the same way
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		panic(err)
	}
	var ranges [][2]rune
	anyRune := false
	seen := make([]bool, len(prog.Inst))
	var visit func(pc uint32)
	visit = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		in := &prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			visit(in.Out)
			visit(in.Arg)
		case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
			visit(in.Out)
		case syntax.InstRune1:
			ranges = append(ranges, [2]rune{in.Rune[0], in.Rune[0]})
		case syntax.InstRune:
			if syntax.Flags(in.Arg)&syntax.FoldCase != 0 || len(in.Rune) == 1 {
				anyRune = true // not produced by our patterns; stay correct anyway
				return
			}
			for i := 0; i+1 < len(in.Rune); i += 2 {
				ranges = append(ranges, [2]rune{in.Rune[i], in.Rune[i+1]})
			}
		case syntax.InstFail:
		default: // InstMatch, InstRuneAny, InstRuneAnyNotNL
			anyRune = true
		}
	}
	visit(uint32(prog.Start))
	if anyRune {
		return func(rune) bool { return true }
	}
	slices.SortFunc(ranges, func(a, b [2]rune) int { return cmp.Compare(a[0], b[0]) })
	merged := ranges[:0]
	for _, rg := range ranges {
		if n := len(merged); n > 0 && rg[0] <= merged[n-1][1]+1 {
			merged[n-1][1] = max(merged[n-1][1], rg[1])
			continue
		}
		merged = append(merged, rg)
	}
	return func(r rune) bool {
		// The first range starting after r; the one before it is the only
		// one that can hold r.
		i, _ := slices.BinarySearchFunc(merged, r+1, func(rg [2]rune, t rune) int { return cmp.Compare(rg[0], t) })
		return i > 0 && merged[i-1][1] >= r
	}
}

// tradPairs lists simplified characters used in the patterns above and
// their traditional forms (first the simplified one, then its forms).
var tradPairs = []string{
	"为為爲", "帮幫", "给給", "转轉", "专專", "员員", "门門", "关關", "处處", "进進",
	"实實", "询詢", "确確", "认認", "问問", "题題", "务務", "后後", "台臺", "术術",
	"级級", "报報", "记記", "录錄", "递遞", "时時", "尽盡", "与與", "联聯", "系係繫",
	"电電", "话話", "复復", "请請", "畅暢", "机機", "来來", "结結", "单單", "创創",
	"号號", "码碼", "发發", "图圖", "账賬帳", "户戶", "会會", "这這", "边邊", "马馬",
	"现現", "们們", "决決", "对對", "谢謝", "顾顧", "应應", "该該", "没沒", "错錯",
	"顺順", "乐樂", "见見", "谅諒", "欢歡", "临臨", "随隨", "烦煩", "扰擾", "亲親",
	"爱愛", "买買", "线線", "吗嗎", "兴興", "里裡裏", "么麼麽", "协協", "别別", "购購",
	"节節", "万萬", "带帶", "还還", "况況", "订訂", "诉訴", "经經", "将將", "属屬",
	"负負", "责責", "啰囉", "儿兒", "你妳", "周週", "气氣", "样樣",
	"让讓", "仓倉", "库庫", "货貨", "备備", "沟溝",
}

var tradOf = func() map[rune]string {
	m := make(map[rune]string, len(tradPairs))
	for _, p := range tradPairs {
		rs := []rune(p)
		m[rs[0]] = string(rs[1:])
	}
	return m
}()

// zh widens every character of pattern p that has a traditional form into
// a class of both forms (inside a class, the forms are added to it).
func zh(p string) string {
	var b strings.Builder
	inClass, escaped := false, false
	for _, r := range p {
		switch {
		case escaped:
			escaped = false
			b.WriteRune(r)
			continue
		case r == '\\':
			escaped = true
		case r == '[':
			inClass = true
		case r == ']':
			inClass = false
		}
		t, ok := tradOf[r]
		switch {
		case !ok:
			b.WriteRune(r)
		case inClass:
			b.WriteRune(r)
			b.WriteString(t)
		default:
			b.WriteString("[" + string(r) + t + "]")
		}
	}
	return b.String()
}
