package curate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/index"
)

// CandidateQuery selects review items.
type CandidateQuery struct {
	KB     string
	Status string // default pending
	// Sort is "impact" (default: members + handoffs, highest first) or "recent".
	Sort   string
	Limit  int // default 50, at most 500
	Cursor string
}

// CandidatePage is one page of the review queue.
type CandidatePage struct {
	Candidates []*Candidate `json:"candidates"`
	Next       string       `json:"next,omitempty"`
}

// List pages through kb's clusters.
func (c *Curator) List(ctx context.Context, q CandidateQuery) (CandidatePage, error) {
	status := cmpOr(q.Status, StatusPending)
	if !slices.Contains([]string{StatusPending, StatusApproved, StatusRejected, StatusMerged}, status) {
		return CandidatePage{}, fmt.Errorf("%w: status %q must be pending, approved, rejected or merged", ErrInvalidAction, status)
	}
	order := &index.OrderBy{Key: "impact", Direction: index.Desc}
	switch q.Sort {
	case "", "impact":
	case "recent":
		order = &index.OrderBy{Key: "updated_at", Direction: index.Desc}
	default:
		return CandidatePage{}, fmt.Errorf("%w: sort %q must be impact or recent", ErrInvalidAction, q.Sort)
	}
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 500 {
		return CandidatePage{}, fmt.Errorf("%w: limit %d must lie in [1, 500]", ErrInvalidAction, limit)
	}
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", q.KB), index.MatchKeyword("status", status)}}
	running, err := c.runningRuns(ctx, q.KB)
	if err != nil {
		return CandidatePage{}, err
	}
	if len(running) > 0 { // an unfinished import's candidates are not shown yet
		f.MustNot = append(f.MustNot, index.MatchAnyKeyword("run", running...))
	}
	page, err := c.store.Scroll(ctx, CandidatesCollection, index.ScrollRequest{
		Filter: f, Limit: limit, Cursor: q.Cursor, OrderBy: order, With: index.With{Payload: true},
	})
	if err != nil {
		return CandidatePage{}, fmt.Errorf("listing candidates: %w", err)
	}
	out := CandidatePage{Candidates: make([]*Candidate, 0, len(page.Points)), Next: page.Next}
	for _, r := range page.Points {
		cl, err := decodeCluster(r)
		if err != nil {
			return CandidatePage{}, err
		}
		out.Candidates = append(out.Candidates, cl)
	}
	return out, nil
}

// Get returns one cluster (with its vectors, for rewriting).
func (c *Curator) Get(ctx context.Context, id string) (*Candidate, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("%w: candidate ids are UUIDs, not %q", ErrInvalidAction, id)
	}
	recs, err := c.store.Get(ctx, CandidatesCollection, []string{id}, index.With{Payload: true, Vectors: true})
	if err != nil {
		return nil, fmt.Errorf("reading candidate: %w", err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrCandidateNotFound, id)
	}
	return decodeCluster(recs[0])
}

// Approval is an editor's approve action, with optional edits.
type Approval struct {
	// As is "variants" (add the questions to an article) or "new_article";
	// empty follows the cluster's suggestion.
	As string `json:"as,omitempty"`
	// ArticleID is the article that gets the variants (default: the
	// suggested one), or the new article's id (default: generated).
	ArticleID string `json:"article_id,omitempty"`
	// Questions replaces the member questions to add (edited).
	Questions []string `json:"questions,omitempty"`
	// Question and Answer edit a new article (defaults: the representative
	// question and the best reply); Category and Locale set its metadata.
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
	Category string `json:"category,omitempty"`
	Locale   string `json:"locale,omitempty"`
	// By names the editor; Reason is free text for the revision.
	By     string `json:"-"`
	Reason string `json:"reason,omitempty"`
}

// idLocks serializes decisions per cluster within this process.
var idLocks sync.Map

func lockID(id string) func() {
	m, _ := idLocks.LoadOrStore(id, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Approve promotes a pending cluster into the KB, live at once: its
// questions become variants of an article, or a new article is created.
// The change is recorded as a revision (action "promote", source the
// cluster) through the engine's change hook.
func (c *Curator) Approve(ctx context.Context, id string, ap Approval) (*Candidate, error) {
	defer lockID(id)()
	release, err := c.claimDecision(ctx, id)
	if err != nil {
		return nil, err
	}
	defer release()
	return c.approve(ctx, id, ap, false)
}

// approve is Approve under the cluster's lock; merged marks a merge.
func (c *Curator) approve(ctx context.Context, id string, ap Approval, merged bool) (*Candidate, error) {
	cl, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if cl.Status != StatusPending {
		return nil, fmt.Errorf("%w: %s is %s", ErrCandidateDecided, id, cl.Status)
	}
	as := cmpOr(ap.As, map[string]string{KindVariant: "variants", KindNewArticle: "new_article"}[cl.Kind])
	questions := cl.Questions
	if len(ap.Questions) > 0 {
		questions = ap.Questions
	}
	ctx = answer.WithChangeInfo(ctx, answer.ChangeInfo{Author: ap.By, Action: "promote", Reason: ap.Reason, Source: "candidate:" + cl.ID})
	dec := &Decision{Action: "approve", By: ap.By, Reason: ap.Reason, At: c.now().UTC()}
	switch as {
	case "variants":
		target := cmpOr(ap.ArticleID, cl.ArticleID)
		if target == "" {
			return nil, fmt.Errorf("%w: approving as variants needs article_id (this candidate suggests a new article)", ErrInvalidAction)
		}
		art, added, err := c.addVariants(ctx, cl.KB, target, questions)
		if err != nil {
			return nil, err
		}
		dec.ArticleID, dec.Version, dec.Added = art.ID, art.Version, added
	case "new_article":
		art := answer.Article{
			ID:       cmpOr(ap.ArticleID, "c-"+strings.ReplaceAll(cl.ID, "-", "")[:12]),
			Question: cmpOr(ap.Question, cl.Representative),
			Answer:   cmpOr(ap.Answer, cl.BestReply),
			Category: ap.Category, Locale: ap.Locale,
		}
		for _, q := range questions {
			if !sameText(q, art.Question) && len(art.Variants) < answer.MaxVariants {
				art.Variants = append(art.Variants, q)
			}
		}
		if err := c.eng.ImportArticles(ctx, cl.KB, []answer.Article{art}, nil); err != nil {
			return nil, err
		}
		saved, err := c.eng.Library.Article(ctx, cl.KB, art.ID)
		if err != nil {
			return nil, err
		}
		dec.ArticleID, dec.Version, dec.Added = saved.ID, saved.Version, len(art.Variants)
	default:
		return nil, fmt.Errorf("%w: as %q must be variants or new_article", ErrInvalidAction, as)
	}
	cl.Status, cl.Decision, cl.UpdatedAt = StatusApproved, dec, dec.At
	if merged {
		cl.Status, dec.Action = StatusMerged, "merge"
	}
	return cl, c.save(ctx, cl)
}

// addVariants adds questions an article lacks as its variants.
func (c *Curator) addVariants(ctx context.Context, kb, articleID string, questions []string) (answer.Article, int, error) {
	art, err := c.eng.Library.Article(ctx, kb, articleID)
	if err != nil {
		return answer.Article{}, 0, err
	}
	added := 0
	for _, q := range questions {
		q = strings.TrimSpace(q)
		if q == "" || len(art.Variants) >= answer.MaxVariants || slices.ContainsFunc(art.Questions(), func(x string) bool { return sameText(x, q) }) {
			continue
		}
		art.Variants = append(art.Variants, q)
		added++
	}
	if added == 0 {
		return art, 0, nil
	}
	if err := c.eng.ImportArticles(ctx, kb, []answer.Article{art}, nil); err != nil {
		return answer.Article{}, 0, err
	}
	saved, err := c.eng.Library.Article(ctx, kb, articleID)
	return saved, added, err
}

// Reject closes a pending cluster; later candidates close to it are suppressed.
func (c *Curator) Reject(ctx context.Context, id, reason, by string) (*Candidate, error) {
	defer lockID(id)()
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: a rejection needs a reason", ErrInvalidAction)
	}
	if n := utf8.RuneCountInString(reason); n > MaxReasonRunes || !utf8.ValidString(reason) {
		return nil, fmt.Errorf("%w: a reason is valid UTF-8 of at most %d characters (got %d)", ErrInvalidAction, MaxReasonRunes, n)
	}
	release, err := c.claimDecision(ctx, id)
	if err != nil {
		return nil, err
	}
	defer release()
	cl, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if cl.Status != StatusPending {
		return nil, fmt.Errorf("%w: %s is %s", ErrCandidateDecided, id, cl.Status)
	}
	cl.Status = StatusRejected
	cl.Decision = &Decision{Action: "reject", By: by, Reason: reason, At: c.now().UTC()}
	cl.UpdatedAt = cl.Decision.At
	return cl, c.save(ctx, cl)
}

// Merge adds a pending cluster's questions to the given article as variants.
func (c *Curator) Merge(ctx context.Context, id, articleID, by string) (*Candidate, error) {
	if articleID == "" {
		return nil, fmt.Errorf("%w: merge needs article_id", ErrInvalidAction)
	}
	defer lockID(id)()
	release, err := c.claimDecision(ctx, id)
	if err != nil {
		return nil, err
	}
	defer release()
	return c.approve(ctx, id, Approval{As: "variants", ArticleID: articleID, By: by, Reason: "merged into " + articleID}, true)
}

func (c *Curator) save(ctx context.Context, cl *Candidate) error {
	pt, err := cl.point()
	if err != nil {
		return err
	}
	if err := c.store.Upsert(ctx, CandidatesCollection, []index.Point{pt}); err != nil {
		return fmt.Errorf("saving candidate %s: %w", cl.ID, err)
	}
	return nil
}

// ApproveAllReport counts what ApproveAll promoted.
type ApproveAllReport struct {
	Approved         int `json:"approved"`
	PromotedArticles int `json:"promoted_articles"`
	PromotedVariants int `json:"promoted_variants"`
}

// ApproveAll approves every pending cluster of kb as suggested (what an
// editor accepting every suggestion does).
func (c *Curator) ApproveAll(ctx context.Context, kb, by string) (ApproveAllReport, error) {
	var rep ApproveAllReport
	skipped := map[string]bool{} // decided by another editor meanwhile
	for {
		page, err := c.List(ctx, CandidateQuery{KB: kb, Limit: 200})
		if err != nil {
			return rep, err
		}
		if !slices.ContainsFunc(page.Candidates, func(cl *Candidate) bool { return !skipped[cl.ID] }) {
			return rep, nil
		}
		for _, cl := range page.Candidates {
			if skipped[cl.ID] {
				continue
			}
			done, err := c.Approve(ctx, cl.ID, Approval{By: by, Reason: "approved as suggested"})
			if errors.Is(err, ErrCandidateDecided) {
				skipped[cl.ID] = true
				continue
			}
			if err != nil {
				return rep, err
			}
			rep.Approved++
			if done.Kind == KindNewArticle {
				rep.PromotedArticles++
				rep.PromotedVariants += done.Decision.Added
			} else {
				rep.PromotedVariants += done.Decision.Added
			}
		}
	}
}
