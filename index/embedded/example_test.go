package embedded_test

import (
	"context"
	"fmt"
	"os"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
)

func ExampleOpen() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jieda-example-*")
	defer os.RemoveAll(dir)

	cfg := embedded.DefaultConfig()
	cfg.Path = dir
	s, err := embedded.Open(ctx, cfg, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	_ = s.CreateCollection(ctx, index.CollectionConfig{Name: "faq", Dim: 2, Sparse: true})
	_ = s.Upsert(ctx, "faq", []index.Point{
		{ID: "6f1c2a58-0b8e-4c47-9a55-2d1f0c3b9e01", Dense: []float32{1, 0}, Payload: index.Payload{"q": "refund"}},
		{ID: "6f1c2a58-0b8e-4c47-9a55-2d1f0c3b9e02", Dense: []float32{0, 1}, Payload: index.Payload{"q": "shipping"}},
	})
	res, _ := s.Query(ctx, "faq", index.QueryRequest{Dense: []float32{0.9, 0.1}, Limit: 1, With: index.With{Payload: true}})
	fmt.Println(res[0].Payload["q"])
	// Output: refund
}
