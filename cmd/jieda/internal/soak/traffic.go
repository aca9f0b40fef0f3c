package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// soakKB is the knowledge base the soak uses.
const soakKB = "soak"

// batchSize is the articles of one import: more than one internal write
// batch (64), so a kill can fall in the middle of an import.
const batchSize = 150

// workers is the soak's traffic and what it saw acknowledged.
type workers struct {
	c                       *client
	cfg                     Config
	customer, agent, editor string

	mu          sync.Mutex
	handoffs    map[string]bool // told to a customer
	answers     []string        // answer ids not rated yet
	acked, cut  map[int]bool    // import batches
	resolved    map[string]bool
	approved    map[string]bool
	asks, turns int
	feedback    int
}

// setup creates keys, imports the KB and registers the webhook.
func setup(ctx context.Context, c *client, cfg Config, hook *receiver) (*workers, error) {
	w := &workers{c: c, cfg: cfg, handoffs: map[string]bool{}, acked: map[int]bool{}, cut: map[int]bool{},
		resolved: map[string]bool{}, approved: map[string]bool{}}
	for _, k := range []struct {
		role string
		dst  *string
	}{{"customer", &w.customer}, {"agent", &w.agent}, {"editor", &w.editor}} {
		var out struct {
			Key string `json:"key"`
		}
		if _, raw, ok := c.do(ctx, "POST", "/v1/admin/keys", AdminKey, map[string]any{"role": k.role, "kbs": []string{soakKB}, "name": "soak " + k.role}, "", &out); !ok {
			return nil, fmt.Errorf("creating a %s key: %s", k.role, raw)
		}
		*k.dst = out.Key
	}
	if _, raw, ok := c.do(ctx, "POST", "/v1/articles/import?kb="+soakKB, AdminKey, cfg.Articles, "application/x-ndjson", nil); !ok {
		return nil, fmt.Errorf("importing the KB: %s", raw)
	}
	hookSettings := map[string]any{"webhook": map[string]any{"url": hook.url, "secret": "soak-webhook-secret-0123"}}
	if _, raw, ok := c.do(ctx, "PUT", "/v1/kbs/"+soakKB+"/settings", AdminKey, hookSettings, "", nil); !ok {
		return nil, fmt.Errorf("setting the webhook: %s", raw)
	}
	return w, nil
}

// run starts the traffic; every worker stops when ctx ends.
func (w *workers) run(ctx context.Context, wg *sync.WaitGroup, seed uint64) {
	for i := range 3 {
		wg.Go(func() { w.customerLoop(ctx, rand.New(rand.NewPCG(seed, uint64(10+i)))) })
	}
	wg.Go(func() { w.feedbackLoop(ctx, rand.New(rand.NewPCG(seed, 20))) })
	wg.Go(func() { w.importLoop(ctx) })
	wg.Go(func() { w.agentLoop(ctx, rand.New(rand.NewPCG(seed, 30))) })
	wg.Go(func() { w.editorLoop(ctx, rand.New(rand.NewPCG(seed, 40))) })
}

type askResponse struct {
	Decision string `json:"decision"`
	AnswerID string `json:"answer_id"`
	Answer   *struct {
		ArticleID string `json:"article_id"`
	} `json:"answer"`
	Handoff *struct {
		ID string `json:"id"`
	} `json:"handoff"`
	ConversationID string `json:"conversation_id"`
}

func (w *workers) ask(ctx context.Context, q, conversation string) (askResponse, bool) {
	body := map[string]any{"kb": soakKB, "question": q}
	if conversation != "" {
		body["conversation"] = map[string]any{"id": conversation}
	}
	var out askResponse
	_, _, ok := w.c.do(ctx, "POST", "/v1/ask", w.customer, body, "", &out)
	if !ok {
		return out, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.asks++
	if out.Handoff != nil {
		w.handoffs[out.Handoff.ID] = true
	}
	if out.Decision == "answer" && len(w.answers) < 1000 {
		w.answers = append(w.answers, out.AnswerID)
	}
	return out, true
}

func (w *workers) customerLoop(ctx context.Context, rng *rand.Rand) {
	for n := 0; ctx.Err() == nil; n++ {
		q := w.cfg.Questions[rng.IntN(len(w.cfg.Questions))]
		if rng.IntN(10) < 3 { // a conversation with a follow-up
			conv := fmt.Sprintf("soak-c%d-%d", rng.Uint32(), n)
			if _, ok := w.ask(ctx, q, conv); ok {
				if _, ok := w.ask(ctx, "那运费呢", conv); ok {
					w.mu.Lock()
					w.turns++
					w.mu.Unlock()
				}
			}
			continue
		}
		if rng.IntN(10) == 0 {
			q = "我要转人工，" + q // a handoff for the agent
		}
		w.ask(ctx, q, "")
	}
}

func (w *workers) feedbackLoop(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		sleep(ctx, 100*time.Millisecond)
		w.mu.Lock()
		if len(w.answers) == 0 {
			w.mu.Unlock()
			continue
		}
		i := rng.IntN(len(w.answers))
		id := w.answers[i]
		w.answers = append(w.answers[:i], w.answers[i+1:]...)
		w.mu.Unlock()
		if _, _, ok := w.c.do(ctx, "POST", "/v1/feedback", w.customer, map[string]any{"answer_id": id, "helpful": rng.IntN(2) == 0}, "", nil); ok {
			w.mu.Lock()
			w.feedback++
			w.mu.Unlock()
		}
	}
}

// batchArticle is article i of import batch b: a question no other asks.
func batchArticle(b, i int) (id, question string) {
	return fmt.Sprintf("soak-b%03d-%03d", b, i), fmt.Sprintf("店铺第%d期活动的第%d条规则是什么", 1000+b, 100+i)
}

func (w *workers) importLoop(ctx context.Context) {
	for b := 0; ctx.Err() == nil; b++ {
		var body strings.Builder
		for i := range batchSize {
			id, q := batchArticle(b, i)
			js, _ := json.Marshal(map[string]any{"id": id, "question": q, "answer": fmt.Sprintf("第%d期活动规则%d：以活动页为准。", 1000+b, i), "category": "soak"})
			body.Write(js)
			body.WriteByte('\n')
		}
		_, _, ok := w.c.do(ctx, "POST", "/v1/articles/import?kb="+soakKB, w.editor, []byte(body.String()), "application/x-ndjson", nil)
		w.mu.Lock()
		if ok {
			w.acked[b] = true
		} else if ctx.Err() == nil {
			w.cut[b] = true
		}
		w.mu.Unlock()
		sleep(ctx, 200*time.Millisecond)
	}
}

func (w *workers) agentLoop(ctx context.Context, rng *rand.Rand) {
	for n := 0; ctx.Err() == nil; n++ {
		sleep(ctx, 150*time.Millisecond)
		var page struct {
			Handoffs []struct {
				ID string `json:"id"`
			} `json:"handoffs"`
		}
		if _, _, ok := w.c.do(ctx, "GET", "/v1/handoffs?status=open&limit=20&kb="+soakKB, w.agent, nil, "", &page); !ok || len(page.Handoffs) == 0 {
			continue
		}
		id := page.Handoffs[rng.IntN(len(page.Handoffs))].ID
		reply := fmt.Sprintf("您好，已为您处理（工单%d），请在订单详情查看进度。", n)
		if _, _, ok := w.c.do(ctx, "POST", "/v1/handoffs/"+id+"/resolve", w.agent, map[string]any{"reply": reply}, "", nil); ok {
			w.mu.Lock()
			w.resolved[id] = true
			w.mu.Unlock()
		}
	}
}

func (w *workers) editorLoop(ctx context.Context, rng *rand.Rand) {
	for ctx.Err() == nil {
		sleep(ctx, 300*time.Millisecond)
		var page struct {
			Candidates []struct {
				ID string `json:"id"`
			} `json:"candidates"`
		}
		if _, _, ok := w.c.do(ctx, "GET", "/v1/candidates?status=pending&kb="+soakKB, w.editor, nil, "", &page); !ok || len(page.Candidates) == 0 {
			continue
		}
		id := page.Candidates[rng.IntN(len(page.Candidates))].ID
		if _, _, ok := w.c.do(ctx, "POST", "/v1/candidates/"+id+"/approve", w.editor, nil, "", nil); ok {
			w.mu.Lock()
			w.approved[id] = true
			w.mu.Unlock()
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
