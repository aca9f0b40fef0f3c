package curate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate/intake"
	"github.com/jieda/jieda/embed"
	"github.com/jieda/jieda/index"
)

// Item statuses (the "status" field of ItemsCollection).
const (
	ItemDropped    = "dropped"    // failed a quality gate
	ItemCandidate  = "candidate"  // joined a cluster for review
	ItemKnown      = "known"      // the question is already one of the target article's
	ItemSuppressed = "suppressed" // matches a rejected cluster
)

// Candidate kinds: a suggestion to add variants to an article, or a new article.
const (
	KindVariant    = "variant"
	KindNewArticle = "new_article"
)

// Source is where an item came from, for counting handoffs a cluster would have answered.
type Source struct {
	// Name is "handoff", "import", "chatwoot", a webhook source…
	Name string
	// HandoffID is set for items from resolved handoffs.
	HandoffID string
	// Run is the import run the items belong to (StartRun): the
	// candidates it creates stay out of the review queue until it finishes.
	Run string
}

// IntakeReport counts what Intake did.
type IntakeReport struct {
	Received    int                       `json:"received"`
	Duplicates  int                       `json:"duplicates"`
	Dropped     int                       `json:"dropped"`
	DropReasons map[intake.DropReason]int `json:"drop_reasons"`
	Candidates  int                       `json:"candidates"`
	Known       int                       `json:"known"`
	Suppressed  int                       `json:"suppressed"`
	NewClusters int                       `json:"new_clusters"`
	// Variants and NewArticles count candidates by the suggestion they joined.
	Variants    int `json:"variants"`
	NewArticles int `json:"new_articles"`
	// PII counts placeholders put in, by type.
	PII map[string]int `json:"pii"`
}

// Merge returns r with o's counts added.
func (r IntakeReport) Merge(o IntakeReport) IntakeReport {
	if r.DropReasons == nil {
		r = newReport()
	}
	r.add(o)
	return r
}

func (r *IntakeReport) add(o IntakeReport) {
	r.Received += o.Received
	r.Duplicates += o.Duplicates
	r.Dropped += o.Dropped
	r.Candidates += o.Candidates
	r.Known += o.Known
	r.Suppressed += o.Suppressed
	r.NewClusters += o.NewClusters
	r.Variants += o.Variants
	r.NewArticles += o.NewArticles
	for k, v := range o.DropReasons {
		r.DropReasons[k] += v
	}
	for k, v := range o.PII {
		r.PII[k] += v
	}
}

func newReport() IntakeReport {
	r := IntakeReport{DropReasons: map[intake.DropReason]int{}, PII: map[string]int{}}
	for _, d := range intake.DropReasons() {
		r.DropReasons[d] = 0
	}
	return r
}

// itemPointID is the id of an item: the same resolved reply is taken in once.
func itemPointID(kb, key string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("curate-item\x00"+kb+"\x00"+key)).String()
}

// pending is one item going through a batch.
type pending struct {
	item     intake.Resolved
	id       string
	question string // scrubbed
	reply    string // scrubbed
	enc      answer.Encoded
}

// Intake takes resolved replies into kb: each is gated, scrubbed of
// personal data, matched against the KB and clustered for review. Items
// already taken in (same idempotency key) are skipped, so a re-run or a
// resumed import is safe. Items are processed in order, in batches.
func (c *Curator) Intake(ctx context.Context, kb string, items []intake.Resolved, src Source) (IntakeReport, error) {
	rep := newReport()
	if err := c.eng.KnownKB(ctx, kb); err != nil {
		return rep, err
	}
	const batch = 64
	for start := 0; start < len(items); start += batch {
		r, err := c.intakeBatch(ctx, kb, items[start:min(start+batch, len(items))], src)
		rep.add(r)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func (c *Curator) intakeBatch(ctx context.Context, kb string, items []intake.Resolved, src Source) (IntakeReport, error) {
	rep := newReport()
	rep.Received = len(items)
	now := c.now().UTC()
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = itemPointID(kb, it.Key())
	}
	seen, err := c.store.Get(ctx, ItemsCollection, ids, index.With{})
	if err != nil {
		return rep, fmt.Errorf("reading items: %w", err)
	}
	done := make(map[string]bool, len(seen))
	for _, r := range seen {
		done[r.ID] = true
	}
	var writes []index.Point
	var work []*pending
	for i, it := range items {
		if done[ids[i]] {
			rep.Duplicates++
			continue
		}
		done[ids[i]] = true // a repeat within the batch
		if err := it.Validate(); err != nil {
			rep.Dropped++
			rep.DropReasons[intake.DropEmpty]++
			writes = append(writes, c.itemPoint(kb, ids[i], it, "", "", ItemDropped, string(intake.DropEmpty), "", src, now))
			continue
		}
		q, rp := c.scrub.Scrub(it.Question), c.scrub.Scrub(it.Reply)
		for t, n := range q.Counts() {
			rep.PII[string(t)] += n
		}
		for t, n := range rp.Counts() {
			rep.PII[string(t)] += n
		}
		if ok, reason := intake.Gate(it); !ok {
			rep.Dropped++
			rep.DropReasons[reason]++
			writes = append(writes, c.itemPoint(kb, ids[i], it, q.Text, rp.Text, ItemDropped, string(reason), "", src, now))
			continue
		}
		work = append(work, &pending{item: it, id: ids[i], question: q.Text, reply: rp.Text})
	}
	if len(work) > 0 {
		texts := make([]string, len(work))
		for i, p := range work {
			texts[i] = p.question
		}
		encs, err := c.eng.Library.Encode(ctx, texts, embed.RoleQuery)
		if err != nil {
			return rep, err
		}
		for i, p := range work {
			p.enc = encs[i]
		}
		lock := c.kbLock(kb)
		lock.Lock()
		defer lock.Unlock()
		th, err := c.effective(ctx, kb)
		if err != nil {
			return rep, err
		}
		asg := newAssigner(c, kb, th, now)
		defer asg.release(ctx)
		for _, p := range work {
			status, clusterID, kind, err := asg.assign(ctx, p, src)
			if err != nil {
				return rep, err
			}
			switch status {
			case ItemKnown:
				rep.Known++
			case ItemSuppressed:
				rep.Suppressed++
			default:
				rep.Candidates++
				if kind == KindVariant {
					rep.Variants++
				} else {
					rep.NewArticles++
				}
			}
			writes = append(writes, c.itemPoint(kb, p.id, p.item, p.question, p.reply, status, "", clusterID, src, now))
		}
		rep.NewClusters = asg.created
		if err := asg.flush(ctx); err != nil {
			return rep, err
		}
	}
	if len(writes) > 0 {
		if err := c.store.Upsert(ctx, ItemsCollection, writes); err != nil {
			return rep, fmt.Errorf("writing items: %w", err)
		}
	}
	return rep, nil
}

// itemPoint is an item's record: scrubbed text only, never the raw text.
func (c *Curator) itemPoint(kb, id string, it intake.Resolved, q, r, status, reason, cluster string, src Source, now time.Time) index.Point {
	p := index.Payload{
		"kb": kb, "status": status, "question": q, "reply": r, "source": cmpOr(it.Source, src.Name),
		"created_at": now.Format(time.RFC3339Nano),
	}
	for k, v := range map[string]string{"reason": reason, "cluster_id": cluster, "agent": it.Agent, "ticket": it.Ticket, "handoff_id": src.HandoffID} {
		if v != "" {
			p[k] = v
		}
	}
	if it.CSAT != nil {
		p["csat"] = int64(*it.CSAT)
	}
	if !it.ResolvedAt.IsZero() {
		p["resolved_at"] = it.ResolvedAt.UTC().Format(time.RFC3339)
	}
	return index.Point{ID: id, Payload: p}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// assigner matches a batch's items to articles and clusters, keeping the
// clusters it touches in memory and writing them once at the end.
type assigner struct {
	c       *Curator
	kb      string
	th      Thresholds
	now     time.Time
	touched map[string]*Candidate // by id
	fresh   []*Candidate          // created in this batch (not yet searchable in the store)
	created int
	// leases are the decision leases held on the stored candidates the
	// batch changes, until flush rewrites them (see claim).
	leases map[string]index.Lease
}

func newAssigner(c *Curator, kb string, th Thresholds, now time.Time) *assigner {
	return &assigner{c: c, kb: kb, th: th, now: now, touched: map[string]*Candidate{}, leases: map[string]index.Lease{}}
}

// claim takes the decision lease of a stored candidate the batch is about
// to change and returns its current state. Without it an editor deciding
// the candidate between the batch's read and its write would see the
// write put it back to pending, the approval lost (and the questions open
// to a second promotion). nil when it is being decided, or was decided
// since it was read: the item then starts a candidate of its own. One the
// batch already holds is returned as it is.
func (a *assigner) claim(ctx context.Context, cl *Candidate) (*Candidate, error) {
	if t, ok := a.touched[cl.ID]; ok {
		return t, nil
	}
	cond := []index.Condition{index.MatchKeyword("status", StatusPending)}
	l, ok, err := index.TakeLease(ctx, a.c.store, CandidatesCollection, cl.ID, decideLease, cond, a.c.now(), decideTTL)
	if err != nil || !ok {
		return nil, err
	}
	a.leases[cl.ID] = l
	return a.c.Get(ctx, cl.ID)
}

// release ends the leases of candidates the batch did not write (it
// failed before flush).
func (a *assigner) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for id, l := range a.leases {
		if err := index.ReleaseLease(ctx, a.c.store, CandidatesCollection, id, l); err != nil {
			a.c.logger.Warn("releasing a candidate's lease; it expires on its own", "candidate", id, "err", err)
		}
	}
}

// assign decides one item: known, suppressed, or a member of a cluster.
func (a *assigner) assign(ctx context.Context, p *pending, src Source) (status, clusterID, kind string, err error) {
	target, err := a.targetArticle(ctx, p)
	if err != nil {
		return "", "", "", err
	}
	if target != nil && slices.ContainsFunc(target.Questions(), func(q string) bool { return sameText(q, p.question) }) {
		return ItemKnown, "", "", nil
	}
	if rej, err := a.rejected(ctx, p); err != nil {
		return "", "", "", err
	} else if rej != "" {
		return ItemSuppressed, rej, "", nil
	}
	var cl *Candidate
	if target != nil {
		kind = KindVariant
		cl, err = a.variantCluster(ctx, target.ID)
	} else {
		kind = KindNewArticle
		cl, err = a.nearestNewCluster(ctx, p)
	}
	if err != nil {
		return "", "", "", err
	}
	if cl != nil && !cl.isNew {
		if cl, err = a.claim(ctx, cl); err != nil {
			return "", "", "", err
		}
	}
	if cl == nil {
		cl = &Candidate{
			ID: uuid.NewString(), KB: a.kb, Status: StatusPending, Kind: kind, Representative: p.question,
			CreatedAt: a.now, dense: p.enc.Dense, sparse: p.enc.Sparse, isNew: true, Run: src.Run,
		}
		if target != nil {
			cl.ArticleID, cl.ArticleQuestion = target.ID, target.Question
		}
		a.fresh = append(a.fresh, cl)
		a.created++
	}
	cl.addMember(p, src, a.c.cfg.MaxQuestions, a.now)
	a.touched[cl.ID] = cl
	return ItemCandidate, cl.ID, kind, nil
}

// targetArticle is the published article the item belongs to, if any: the
// one whose answer the agent's reply repeats, else the one the KB already
// answers the question with high confidence.
func (a *assigner) targetArticle(ctx context.Context, p *pending) (*answer.Article, error) {
	hits, err := a.c.eng.Library.SearchAnswers(ctx, a.kb, p.reply, 20)
	if err != nil {
		return nil, err
	}
	bestID, best := "", 0.0
	for _, h := range hits {
		// the reply is scrubbed: compare it with the answer scrubbed alike
		if s := diceSimilarity(p.reply, a.c.Scrub(h.Answer)); s > best {
			bestID, best = h.ArticleID, s
		}
	}
	if best < a.th.ReplyMatch {
		a.c.logger.Debug("reply matches no article's answer", "kb", a.kb, "best", bestID, "similarity", best, "hits", len(hits))
		cands, conf, err := a.c.eng.Rank(ctx, a.kb, p.question)
		if err != nil && !errors.Is(err, answer.ErrEmptyQuery) {
			return nil, err
		}
		if len(cands) == 0 || conf < a.th.VariantConfidence {
			return nil, nil
		}
		bestID = cands[0].ArticleID
	}
	art, err := a.c.eng.Library.Article(ctx, a.kb, bestID)
	if errors.Is(err, answer.ErrArticleNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if art.Status != answer.StatusPublished {
		return nil, nil
	}
	return &art, nil
}

// rejected returns the id of a rejected cluster the item matches closely.
func (a *assigner) rejected(ctx context.Context, p *pending) (string, error) {
	hits, err := a.c.store.Query(ctx, CandidatesCollection, index.QueryRequest{
		Dense: p.enc.Dense, Limit: 1,
		Filter: &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", a.kb), index.MatchKeyword("status", StatusRejected)}},
	})
	if err != nil {
		return "", fmt.Errorf("searching rejected candidates: %w", err)
	}
	if len(hits) == 1 && float64(hits[0].Score) >= a.th.SuppressSimilarity {
		return hits[0].ID, nil
	}
	return "", nil
}

// variantCluster is the pending variant suggestion for an article, if any.
func (a *assigner) variantCluster(ctx context.Context, articleID string) (*Candidate, error) {
	for _, cl := range a.touched {
		if cl.Kind == KindVariant && cl.ArticleID == articleID && cl.Status == StatusPending {
			return cl, nil
		}
	}
	page, err := a.c.store.Scroll(ctx, CandidatesCollection, index.ScrollRequest{Limit: 1, With: index.With{Payload: true, Vectors: true},
		Filter: &index.Filter{Must: []index.Condition{
			index.MatchKeyword("kb", a.kb), index.MatchKeyword("status", StatusPending),
			index.MatchKeyword("kind", KindVariant), index.MatchKeyword("article_id", articleID),
		}}})
	if err != nil {
		return nil, fmt.Errorf("finding the variant suggestion of %s: %w", articleID, err)
	}
	if len(page.Points) == 0 {
		return nil, nil
	}
	return decodeCluster(page.Points[0])
}

// nearestNewCluster is the pending new-article cluster whose
// representative question is closest, if close enough, or whose best
// reply says the same thing.
func (a *assigner) nearestNewCluster(ctx context.Context, p *pending) (*Candidate, error) {
	var best *Candidate
	bestScore := 0.0
	consider := func(cl *Candidate, cos float64) {
		score := cos
		if diceSimilarity(p.reply, cl.BestReply) >= a.th.ReplyMatch {
			score = max(score, a.th.ClusterSimilarity) // the same answer: the same question
		}
		if score >= a.th.ClusterSimilarity && score > bestScore {
			best, bestScore = cl, score
		}
	}
	for _, cl := range a.fresh {
		if cl.Kind == KindNewArticle {
			consider(cl, dot(p.enc.Dense, cl.dense))
		}
	}
	hits, err := a.c.store.Query(ctx, CandidatesCollection, index.QueryRequest{
		Dense: p.enc.Dense, Limit: 5, With: index.With{Payload: true, Vectors: true},
		Filter: &index.Filter{Must: []index.Condition{
			index.MatchKeyword("kb", a.kb), index.MatchKeyword("status", StatusPending), index.MatchKeyword("kind", KindNewArticle),
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("searching pending candidates: %w", err)
	}
	for _, h := range hits {
		cl, ok := a.touched[h.ID]
		if !ok {
			if cl, err = decodeCluster(h.Record); err != nil {
				return nil, err
			}
		}
		consider(cl, float64(h.Score))
	}
	return best, nil
}

// flush writes every cluster the batch touched.
func (a *assigner) flush(ctx context.Context) error {
	if len(a.touched) == 0 {
		return nil
	}
	pts := make([]index.Point, 0, len(a.touched))
	for _, cl := range a.touched {
		pt, err := cl.point()
		if err != nil {
			return err
		}
		pts = append(pts, pt)
	}
	if err := a.c.store.Upsert(ctx, CandidatesCollection, pts); err != nil {
		return fmt.Errorf("writing candidates: %w", err)
	}
	for _, cl := range a.touched {
		cl.isNew = false
	}
	clear(a.leases) // the write replaced the leased points
	return nil
}

func dot(a, b []float32) float64 {
	s := 0.0
	for i := range min(len(a), len(b)) {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
