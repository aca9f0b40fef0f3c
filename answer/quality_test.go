package answer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// qualitySets are the labeled sets TestQuality measures, relative to
// JIEDA_EVAL_DIR: a KB file and its queries (see the eval README there).
var qualitySets = []struct{ name, kb, queries string }{
	{"jining/kb_full", "jining/kb_full.jsonl", "jining/queries.jsonl"},
	{"jining/kb", "jining/kb.jsonl", "jining/queries.jsonl"},
	{"banking77/kb", "banking77/kb.jsonl", "banking77/queries.jsonl"},
}

// evalDir returns JIEDA_EVAL_DIR or skips the test.
func evalDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("JIEDA_EVAL_DIR")
	if dir == "" {
		t.Skip("set JIEDA_EVAL_DIR to a folder of labeled sets (e.g. ../shared/eval) to measure retrieval quality")
	}
	return dir
}

// loadQualitySet imports a labeled set's KB into a fresh KB and reads its queries.
func loadQualitySet(t *testing.T, dir, kbFile, queriesFile string) (*Library, []LabeledQuery) {
	t.Helper()
	arts, err := ReadArticlesFile(filepath.Join(dir, kbFile))
	if err != nil {
		t.Skipf("%s: %v", kbFile, err)
	}
	qs, err := ReadQueriesFile(filepath.Join(dir, queriesFile))
	if err != nil {
		t.Fatal(err)
	}
	k, _ := newTestKB(t)
	if _, err := k.Import(context.Background(), "eval", arts, ImportOptions{BatchSize: 256}); err != nil {
		t.Fatal(err)
	}
	return k, qs
}

// TestQuality measures Search on the labeled sets under JIEDA_EVAL_DIR and
// logs hit@1, hit@3, MRR@10 and latency (go test -run Quality -v).
func TestQuality(t *testing.T) {
	dir := evalDir(t)
	for _, set := range qualitySets {
		t.Run(set.name, func(t *testing.T) {
			k, qs := loadQualitySet(t, dir, set.kb, set.queries)
			for _, noRerank := range []bool{true, false} {
				rep, err := k.Evaluate(context.Background(), "eval", qs, EvalOptions{Search: SearchOptions{NoRerank: noRerank}})
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%-15s rerank %-5v hit1 %.3f  hit3 %.3f  mrr10 %.3f  p50 %.2f ms  p99 %.2f ms",
					set.name, !noRerank, rep.Hit1, rep.Hit3, rep.MRR10, rep.P50ms, rep.P99ms)
			}
		})
	}
}
