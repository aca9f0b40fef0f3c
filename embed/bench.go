package embed

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// BenchOptions sizes `jieda bench embed`.
type BenchOptions struct {
	QueryTokens   int           // tokens per query, specials included (32)
	Queries       int           // sequential queries for p50/p99 (300)
	Callers       int           // concurrent callers (8)
	ConcurrentFor time.Duration // how long the concurrent phase runs (3s)
	PassageTokens int           // tokens per passage (256)
	Passages      int           // passages embedded in the bulk phase (128)
}

// DefaultBenchOptions returns the sizes the targets are stated in.
func DefaultBenchOptions() BenchOptions {
	return BenchOptions{QueryTokens: 32, Queries: 300, Callers: 8, ConcurrentFor: 3 * time.Second,
		PassageTokens: 256, Passages: 128}
}

// BenchResult is what `jieda bench embed --json` prints.
type BenchResult struct {
	Model         string  `json:"model"`
	Threads       int     `json:"threads"`
	Lanes         int     `json:"lanes"`
	QueryTokens   int     `json:"query_tokens"`
	QueryP50Ms    float64 `json:"query_p50_ms"`
	QueryP99Ms    float64 `json:"query_p99_ms"`
	QueryQPS8     float64 `json:"query_qps_8"`
	MeanBatch8    float64 `json:"mean_batch_8"`
	PassageTokens int     `json:"passage_tokens"`
	PassagesPerS  float64 `json:"passages_per_s"`
	TokensPerS    float64 `json:"tokens_per_s"`
	GFLOPS        float64 `json:"gflops"`
	QueryGFLOPS   float64 `json:"query_gflops"`
	PeakGFLOPS    float64 `json:"peak_gflops"`
	PeakFraction  float64 `json:"peak_fraction"`
	Cost          Cost    `json:"cost"`
	CPU           CPUPeak `json:"cpu"`
}

// RunBench measures e on generated Chinese customer-service text. Open e
// with CacheSize 0 so every query really runs the model.
func RunBench(ctx context.Context, e *Embedder, opts BenchOptions) (BenchResult, error) {
	res := BenchResult{Model: e.info.Name, Threads: e.cfg.threads(), Lanes: len(e.live), QueryTokens: opts.QueryTokens,
		PassageTokens: opts.PassageTokens, CPU: DetectPeak()}
	res.PeakGFLOPS = res.CPU.GFLOPS
	cost, err := ReadCost(filepath.Join(e.info.Dir, ModelFile))
	if err != nil {
		return res, err
	}
	res.Cost = cost
	queryTexts, err := benchTexts(e, opts.QueryTokens, 1000, 0)
	if err != nil {
		return res, err
	}
	next := atomic.Int64{}
	query := func() error {
		i := int(next.Add(1)-1) % len(queryTexts)
		_, err := e.Embed(ctx, queryTexts[i:i+1], RoleQuery)
		return err
	}
	for range 20 { // warm up
		if err := query(); err != nil {
			return res, err
		}
	}

	// Latency: one caller, batch 1.
	lat := make([]float64, 0, opts.Queries)
	for range opts.Queries {
		t := time.Now()
		if err := query(); err != nil {
			return res, err
		}
		lat = append(lat, float64(time.Since(t).Microseconds())/1000)
	}
	res.QueryP50Ms, res.QueryP99Ms = percentile(lat, 50), percentile(lat, 99)
	res.QueryGFLOPS = cost.FLOPs(1, opts.QueryTokens) / (res.QueryP50Ms / 1000) / 1e9

	// Throughput: concurrent callers through the micro-batcher.
	if res.QueryQPS8, res.MeanBatch8, err = benchCallers(ctx, query, e, opts.Callers, opts.ConcurrentFor); err != nil {
		return res, err
	}

	// Bulk: passages in batches.
	passages, err := benchTexts(e, opts.PassageTokens, opts.Passages, 7)
	if err != nil {
		return res, err
	}
	if _, err := e.Embed(ctx, passages[:min(len(passages), e.cfg.BulkBatch)], RolePassage); err != nil { // warm up
		return res, err
	}
	t := time.Now()
	if _, err := e.Embed(ctx, passages, RolePassage); err != nil {
		return res, err
	}
	sec := time.Since(t).Seconds()
	res.PassagesPerS = float64(len(passages)) / sec
	res.TokensPerS = res.PassagesPerS * float64(opts.PassageTokens)
	res.GFLOPS = cost.FLOPs(len(passages), opts.PassageTokens) / sec / 1e9
	if res.PeakGFLOPS > 0 {
		res.PeakFraction = res.GFLOPS / res.PeakGFLOPS
	}
	for _, f := range []*float64{&res.QueryP50Ms, &res.QueryP99Ms, &res.QueryQPS8, &res.MeanBatch8, &res.PassagesPerS,
		&res.TokensPerS, &res.GFLOPS, &res.QueryGFLOPS, &res.PeakGFLOPS, &res.PeakFraction} {
		*f = math.Round(*f*1000) / 1000
	}
	return res, nil
}

// BenchCallers is RunBench's throughput phase alone: callers concurrent
// callers each embed one QueryTokens-token query after another for d
// through the micro-batcher. It returns queries/s and the mean batch.
// Open e with CacheSize 0 so every query really runs the model.
func BenchCallers(ctx context.Context, e *Embedder, queryTokens, callers int, d time.Duration) (qps, meanBatch float64, err error) {
	texts, err := benchTexts(e, queryTokens, 1000, 0)
	if err != nil {
		return 0, 0, err
	}
	next := atomic.Int64{}
	query := func() error {
		i := int(next.Add(1)-1) % len(texts)
		_, err := e.Embed(ctx, texts[i:i+1], RoleQuery)
		return err
	}
	for range 20 { // warm up
		if err := query(); err != nil {
			return 0, 0, err
		}
	}
	return benchCallers(ctx, query, e, callers, d)
}

// benchCallers runs query from callers goroutines for d.
func benchCallers(ctx context.Context, query func() error, e *Embedder, callers int, d time.Duration) (qps, meanBatch float64, err error) {
	before := e.Stats()
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := query(); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	qps = float64(done.Load()) / time.Since(start).Seconds()
	after := e.Stats()
	if b := after.LiveBatches - before.LiveBatches; b > 0 {
		meanBatch = float64(after.LiveTexts-before.LiveTexts) / float64(b)
	}
	return qps, meanBatch, nil
}

func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// benchSentences are customer-service sentences written for benchmarking.
var benchSentences = []string{
	"你好，我昨天下的订单到现在还没有发货，能帮我查一下物流到哪里了吗？",
	"收到的衣服尺码偏小，想换大一号，请问换货需要我自己承担运费吗？",
	"我申请的退款已经审核通过三天了，钱什么时候能退回到我的银行卡？",
	"优惠券显示已经领取，但是结算的时候用不了，是不是有使用门槛？",
	"请问可以开具增值税专用发票吗？公司报销需要填写税号和开户行。",
	"快递显示已签收，可是我家里没有人收到包裹，麻烦帮我核实一下。",
	"这款耳机的保修期是多久？如果出现质量问题是换新还是维修？",
	"海外直邮的商品需要缴纳关税吗？清关大概需要多长时间？",
	"我的账号绑定的手机号已经停用了，怎么修改成新的手机号码？",
	"订单里有一件商品缺货，能不能先把其他商品发出来，缺的那件退款？",
	"会员积分可以抵扣多少钱？积分会不会过期，过期之前会提醒吗？",
	"商品页面写的七天无理由退货，拆封以后还能退吗？包装盒丢了怎么办？",
	"I was charged twice for the same order, can you refund the duplicate payment?",
	"預售商品什麼時候發貨？定金可以退嗎？尾款忘記付了會怎麼樣？",
}

// benchTexts builds n distinct texts of exactly tokens tokens (specials
// included) by joining sentences and trimming characters.
func benchTexts(e *Embedder, tokens, n, offset int) ([]string, error) {
	out := make([]string, 0, n)
	for i := range n {
		var r []rune
		r = append(r, []rune(fmt.Sprintf("单号%d，", 100000+i))...)
		for j := 0; ; j++ {
			r = append(r, []rune(benchSentences[(i+j+offset)%len(benchSentences)])...)
			ids, err := e.tok.Encode(string(r))
			if err != nil {
				return nil, err
			}
			if len(ids) >= tokens || len(ids) >= e.man.MaxTokens {
				break
			}
		}
		for len(r) > 1 {
			ids, err := e.tok.Encode(string(r))
			if err != nil {
				return nil, err
			}
			if len(ids) <= tokens && len(ids) < e.man.MaxTokens {
				break
			}
			r = r[:len(r)-1]
		}
		out = append(out, string(r))
	}
	return out, nil
}
