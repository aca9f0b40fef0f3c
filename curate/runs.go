package curate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jieda/jieda/index"
)

// RunsCollection records import runs of resolved replies.
const RunsCollection = "curate_runs"

// Run statuses.
const (
	RunRunning  = "running"
	RunFinished = "finished"
)

// RunID names the import of content into kb: the same file imported
// again is the same run, so a re-run after a crash resumes it.
func RunID(kb string, content []byte) string {
	h := sha256.New()
	h.Write([]byte(kb))
	h.Write([]byte{0})
	h.Write(content)
	return "run-" + hex.EncodeToString(h.Sum(nil))[:16]
}

func runPointID(id string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("curate-run\x00"+id)).String()
}

// StartRun records that import run id into kb is under way: the
// candidates its items create (Source.Run) are left out of the review
// queue until FinishRun, so editors never see half an import. Starting a
// finished run again (a file imported twice) reopens it.
func (c *Curator) StartRun(ctx context.Context, kb, id string) error {
	return c.setRun(ctx, kb, id, RunRunning)
}

// FinishRun publishes run id's candidates in one write.
func (c *Curator) FinishRun(ctx context.Context, kb, id string) error {
	return c.setRun(ctx, kb, id, RunFinished)
}

func (c *Curator) setRun(ctx context.Context, kb, id, status string) error {
	p := index.Payload{"kb": kb, "run": id, "status": status, "at": c.now().UTC().Format(time.RFC3339Nano)}
	if err := c.store.Upsert(ctx, RunsCollection, []index.Point{{ID: runPointID(id), Payload: p}}); err != nil {
		return fmt.Errorf("recording import run %s: %w", id, err)
	}
	return nil
}

// runningRuns lists kb's unfinished import runs.
func (c *Curator) runningRuns(ctx context.Context, kb string) ([]string, error) {
	var ids []string
	f := &index.Filter{Must: []index.Condition{index.MatchKeyword("kb", kb), index.MatchKeyword("status", RunRunning)}}
	err := index.ScrollAll(ctx, c.store, RunsCollection, index.ScrollRequest{Filter: f, Limit: 256, With: index.With{Payload: true}}, func(r index.Record) error {
		if id, _ := r.Payload["run"].(string); id != "" {
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading import runs: %w", err)
	}
	return ids, nil
}
