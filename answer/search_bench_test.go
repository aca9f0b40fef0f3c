package answer

import (
	"context"
	"errors"
	"os"
	"testing"
)

// BenchmarkSearch measures Search after the embedding: the query-vector
// cache answers the model, so what remains is both legs, the lexicon and
// the reranker. It runs on the sample KB and its own questions, or on
// JIEDA_BENCH_KB (a KB file) and JIEDA_BENCH_QUERIES (queries JSONL).
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	k, _ := newTestKB(b)
	arts := sampleArticles(b)
	if path := os.Getenv("JIEDA_BENCH_KB"); path != "" {
		var err error
		if arts, err = ReadArticlesFile(path); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := k.Import(ctx, "shop", arts, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	var queries []string
	if path := os.Getenv("JIEDA_BENCH_QUERIES"); path != "" {
		qs, err := ReadQueriesFile(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range qs {
			queries = append(queries, q.Query)
		}
	} else {
		for _, a := range arts {
			queries = append(queries, a.Question)
		}
	}
	for _, q := range queries { // warm the query-vector cache
		if _, err := k.Search(ctx, "shop", q, SearchOptions{}); err != nil && !errors.Is(err, ErrEmptyQuery) {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := k.Search(ctx, "shop", queries[i%len(queries)], SearchOptions{}); err != nil && !errors.Is(err, ErrEmptyQuery) {
			b.Fatal(err)
		}
		i++
	}
}
