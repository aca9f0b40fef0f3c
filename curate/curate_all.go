package curate

import (
	"context"
	"time"

	"github.com/jieda/jieda/curate/intake"
)

// CurationRun is what CurateAll did.
type CurationRun struct {
	Resolved         int     `json:"resolved"`
	Candidates       int     `json:"candidates"`
	Dropped          int     `json:"dropped"`
	Known            int     `json:"known"`
	Suppressed       int     `json:"suppressed"`
	Clusters         int     `json:"clusters"`
	DistinctReplies  int     `json:"distinct_replies"`
	PromotedArticles int     `json:"promoted_articles"`
	PromotedVariants int     `json:"promoted_variants"`
	IntakePerS       float64 `json:"intake_per_s"`
	ApproveS         float64 `json:"approve_s"`
}

// CurateAll runs the whole loop on resolved replies at once: intake in
// chunks (progress, when not nil, is told how many are in), then every
// pending candidate of kb approved as suggested, by by. It is what an
// editor who accepts every suggestion gets; eval measures it.
func (c *Curator) CurateAll(ctx context.Context, kb string, items []intake.Resolved, by string, progress func(done int)) (CurationRun, error) {
	run := CurationRun{Resolved: len(items)}
	distinct := map[string]bool{}
	for _, it := range items {
		distinct[it.Reply] = true
	}
	run.DistinctReplies = len(distinct)
	start := time.Now()
	var in IntakeReport
	const chunk = 512
	for i := 0; i < len(items); i += chunk {
		r, err := c.Intake(ctx, kb, items[i:min(i+chunk, len(items))], Source{Name: by})
		if err != nil {
			return run, err
		}
		in = r.Merge(in)
		if progress != nil {
			progress(min(i+chunk, len(items)))
		}
	}
	run.IntakePerS = float64(len(items)) / time.Since(start).Seconds()
	run.Candidates, run.Dropped, run.Known, run.Suppressed, run.Clusters = in.Candidates, in.Dropped, in.Known, in.Suppressed, in.NewClusters
	start = time.Now()
	ap, err := c.ApproveAll(ctx, kb, by)
	if err != nil {
		return run, err
	}
	run.ApproveS = time.Since(start).Seconds()
	run.PromotedArticles, run.PromotedVariants = ap.PromotedArticles, ap.PromotedVariants
	return run, nil
}
