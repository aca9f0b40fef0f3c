package qdrant_test

import (
	"context"
	"fmt"
	"net"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/memstore"
	"github.com/jieda/jieda/index/qdrant"
	"github.com/jieda/jieda/index/qdrant/qdranttest"
)

// Example opens the engine on an in-process Qdrant and runs a hybrid query.
func Example() {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := qdranttest.NewServer(memstore.New())
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	ctx := context.Background()
	cfg := qdrant.DefaultConfig()
	cfg.Addr = lis.Addr().String() // a real deployment: "qdrant:6334"
	s, err := qdrant.Open(ctx, cfg, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	if err := s.CreateCollection(ctx, index.CollectionConfig{Name: "faq", Dim: 2, Sparse: true}); err != nil {
		panic(err)
	}
	err = s.Upsert(ctx, "faq", []index.Point{
		{ID: "00000000-0000-4000-8000-000000000001", Dense: []float32{1, 0},
			Sparse: &index.Sparse{Indices: []uint32{7}, Values: []float32{1}}, Payload: index.Payload{"q": "refund"}},
		{ID: "00000000-0000-4000-8000-000000000002", Dense: []float32{0.6, 0.8}, Payload: index.Payload{"q": "shipping"}},
	})
	if err != nil {
		panic(err)
	}
	res, err := s.Query(ctx, "faq", index.QueryRequest{
		Dense:  []float32{1, 0},
		Sparse: &index.Sparse{Indices: []uint32{7}, Values: []float32{1}},
		With:   index.With{Payload: true},
	})
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		fmt.Printf("%s %.4f\n", r.Payload["q"], r.Score) // RRF, k = 60
	}
	// Output:
	// refund 0.0328
	// shipping 0.0161
}
