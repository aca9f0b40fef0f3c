package curate

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate/intake"
)

// takeIn feeds question/reply pairs to kb "shop" and returns the pending candidates' ids.
func takeIn(t *testing.T, cur *Curator, pairs ...[2]string) []string {
	t.Helper()
	ctx := context.Background()
	var items []intake.Resolved
	for _, p := range pairs {
		items = append(items, intake.Resolved{Question: p[0], Reply: p[1], Ticket: "T-" + p[0]})
	}
	if _, err := cur.Intake(ctx, "shop", items, Source{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, cl := range page.Candidates {
		ids = append(ids, cl.ID)
	}
	return ids
}

// DecideMany decides each candidate on its own: a decided one, an unknown
// one and one of a KB the caller may not use are per-candidate errors.
func TestDecideMany(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	ids := takeIn(t, cur,
		[2]string{"你们有实体店吗", "目前只有线上商城，没有实体门店，全国包邮发货。"},
		[2]string{"可以开专票吗", "可以开增值税专用发票，请在订单页填写公司税号和开户行信息后申请。"},
	)
	if len(ids) != 2 {
		t.Fatalf("%d candidates, want 2", len(ids))
	}
	if _, err := cur.Decide(ctx, ids[0], Review{Action: ActionReject, Reason: "one customer", By: "ed"}); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	res, err := cur.DecideMany(ctx, []string{ids[0], ids[1], "00000000-0000-0000-0000-000000000001"}, Review{Action: ActionApprove, By: "ed"}, all)
	if err != nil {
		t.Fatal(err)
	}
	got := []bool{res[0].Err == nil, res[1].Err == nil, res[2].Err == nil}
	if diff := cmp.Diff([]bool{false, true, false}, got); diff != "" {
		t.Errorf("successes (-want +got):\n%s", diff)
	}
	if !errors.Is(res[0].Err, ErrCandidateDecided) || !errors.Is(res[2].Err, ErrCandidateNotFound) {
		t.Errorf("errors: %v, %v", res[0].Err, res[2].Err)
	}
	if res[1].Candidate == nil || res[1].Candidate.Status != StatusApproved {
		t.Errorf("approved candidate: %+v", res[1].Candidate)
	}
	more := takeIn(t, cur, [2]string{"可以用花呗分期吗", "支持花呗分期付款，三期免息，下单时选择花呗即可。"})
	none := func(string) bool { return false }
	res, err = cur.DecideMany(ctx, more, Review{Action: ActionReject, By: "ed"}, none)
	if err != nil || !errors.Is(res[0].Err, ErrCandidateNotFound) {
		t.Errorf("another KB's candidate: %+v, %v", res, err)
	}
	for _, bad := range []struct {
		ids []string
		r   Review
	}{{nil, Review{Action: ActionApprove}}, {more, Review{Action: "publish"}}} {
		if _, err := cur.DecideMany(ctx, bad.ids, bad.r, all); !errors.Is(err, ErrInvalidAction) {
			t.Errorf("DecideMany(%v, %q) = %v, want ErrInvalidAction", bad.ids, bad.r.Action, err)
		}
	}
}

// ResolveHandoff resolves the handoff and takes the reply in as a candidate.
func TestResolveHandoff(t *testing.T) {
	eng, cur := gapsTestEngine(t)
	ctx := context.Background()
	resp, err := eng.Ask(ctx, answer.AskRequest{KB: "shop", Question: "你们有实体店吗"})
	if err != nil || resp.Handoff == nil {
		t.Fatalf("ask: %+v, %v", resp, err)
	}
	res, err := cur.ResolveHandoff(ctx, resp.Handoff.ID, answer.Resolution{Reply: "目前只有线上商城，没有实体门店。联系电话13812345678", Agent: "a7"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Handoff.Status != answer.HandoffResolved || res.CurationErr != nil || res.Curation == nil || res.Curation.Candidates != 1 || res.Curation.PII["phone"] != 1 {
		t.Errorf("resolved: %+v, curation %+v", res.Handoff.Status, res.Curation)
	}
	if _, err := cur.ResolveHandoff(ctx, resp.Handoff.ID, answer.Resolution{Reply: "again", Agent: "a7"}); !errors.Is(err, answer.ErrHandoffResolved) {
		t.Errorf("second resolution: %v", err)
	}
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Intake sources: validated, listed without secrets, and their webhooks
// taken in only with a valid, fresh signature.
func TestIntakeWebhook(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	const secret = "a-long-shared-secret"
	if _, err := cur.PutSource(ctx, IntakeSource{Name: "desk", Kind: SourceGeneric, KB: "shop", Secret: "short"}); !errors.Is(err, ErrInvalidSource) {
		t.Errorf("short secret: %v", err)
	}
	if _, err := cur.PutSource(ctx, IntakeSource{Name: "desk", Kind: "zendesk", KB: "shop", Secret: secret}); !errors.Is(err, ErrInvalidSource) {
		t.Errorf("unknown kind: %v", err)
	}
	for _, src := range []IntakeSource{{Name: "desk", Kind: SourceGeneric, KB: "shop", Secret: secret}, {Name: "cw", Kind: SourceChatwoot, KB: "shop", Secret: secret}} {
		if _, err := cur.PutSource(ctx, src); err != nil {
			t.Fatal(err)
		}
	}
	srcs, err := cur.Sources(ctx)
	if err != nil || len(srcs) != 2 || srcs[0].Secret != "" || srcs[1].Secret != "" {
		t.Errorf("sources: %+v, %v", srcs, err)
	}
	body := []byte(`{"question":"周末发货吗","reply":"周末仓库照常发货，一般48小时内发出。","ticket":"T-9"}`)
	res, err := cur.IntakeWebhook(ctx, "desk", Signature{Jieda: sign(secret, body)}, body)
	if err != nil || !res.Accepted || res.Intake.Candidates != 1 {
		t.Errorf("signed: %+v, %v", res, err)
	}
	for name, sig := range map[string]Signature{"unsigned": {}, "wrong secret": {Jieda: sign("another-long-secret", body)}} {
		if _, err := cur.IntakeWebhook(ctx, "desk", sig, body); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v, want ErrBadSignature", name, err)
		}
	}
	if _, err := cur.IntakeWebhook(ctx, "nobody", Signature{Jieda: sign(secret, body)}, body); !errors.Is(err, ErrBadSignature) {
		t.Errorf("unknown source: %v, want ErrBadSignature", err)
	}
	// Chatwoot signs "{timestamp}.{body}"; an old timestamp is a replay.
	event := []byte(`{"event":"conversation_updated","status":"open"}`)
	ts := strconv.FormatInt(gapsClock.Now().Unix(), 10)
	res, err = cur.IntakeWebhook(ctx, "cw", Signature{Chatwoot: sign(secret, []byte(ts+"."+string(event))), ChatwootTimestamp: ts}, event)
	if err != nil || res.Accepted || res.Reason == "" {
		t.Errorf("a non-resolving event is acknowledged and ignored: %+v, %v", res, err)
	}
	old := strconv.FormatInt(gapsClock.Now().Add(-time.Hour).Unix(), 10)
	if _, err := cur.IntakeWebhook(ctx, "cw", Signature{Chatwoot: sign(secret, []byte(old+"."+string(event))), ChatwootTimestamp: old}, event); !errors.Is(err, ErrStaleSignature) {
		t.Errorf("stale timestamp: %v", err)
	}
	if err := cur.DeleteSource(ctx, "desk"); err != nil {
		t.Fatal(err)
	}
	if err := cur.DeleteSource(ctx, "desk"); !errors.Is(err, ErrSourceNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

// A resolved reply may become an article's answer: both limits agree.
func TestReplyLimitIsTheAnswerLimit(t *testing.T) {
	if intake.MaxReplyRunes != answer.MaxAnswerRunes {
		t.Errorf("intake.MaxReplyRunes = %d, answer.MaxAnswerRunes = %d", intake.MaxReplyRunes, answer.MaxAnswerRunes)
	}
}

// An import run's new candidates stay out of the review queue until it
// finishes: a run cut short shows editors none of them.
func TestImportRunHidesItsCandidates(t *testing.T) {
	_, cur := gapsTestEngine(t)
	ctx := context.Background()
	run := RunID("shop", []byte("tickets.jsonl contents"))
	if err := cur.StartRun(ctx, "shop", run); err != nil {
		t.Fatal(err)
	}
	items := []intake.Resolved{
		{Question: "你们有实体店吗", Reply: "目前只有线上商城，没有实体门店，全国包邮发货。", Ticket: "R-1"},
		{Question: "可以开专票吗", Reply: "可以开增值税专用发票，请在订单页填写公司税号和开户行信息后申请。", Ticket: "R-2"},
	}
	if _, err := cur.Intake(ctx, "shop", items[:1], Source{Name: "import", Run: run}); err != nil {
		t.Fatal(err)
	}
	// A candidate from elsewhere (a handoff) shows at once.
	if _, err := cur.Intake(ctx, "shop", []intake.Resolved{{Question: "可以用花呗分期吗", Reply: "支持花呗分期付款，三期免息，下单时选择花呗即可。", Ticket: "H-1"}}, Source{Name: "handoff"}); err != nil {
		t.Fatal(err)
	}
	listed := func() int {
		page, err := cur.List(ctx, CandidateQuery{KB: "shop"})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Candidates)
	}
	if n := listed(); n != 1 {
		t.Errorf("during the run the queue shows %d candidates, want 1 (the handoff's)", n)
	}
	// The run resumes (the first item is skipped as taken in) and finishes.
	rep, err := cur.Intake(ctx, "shop", items, Source{Name: "import", Run: run})
	if err != nil || rep.Duplicates != 1 {
		t.Fatalf("resumed run: %+v, %v", rep, err)
	}
	if err := cur.FinishRun(ctx, "shop", run); err != nil {
		t.Fatal(err)
	}
	if n := listed(); n != 3 {
		t.Errorf("after the run the queue shows %d candidates, want 3", n)
	}
}
