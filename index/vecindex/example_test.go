package vecindex_test

import (
	"fmt"

	"github.com/jieda/jieda/index/vecindex"
)

func ExampleDense() {
	// The index keeps vectors quantized; the caller keeps them in full
	// (in jieda, the database) and hands them over for exact scores.
	vecs := map[uint32][]float32{ // callers L2-normalize
		1: {1, 0, 0},
		2: {0, 1, 0},
		3: {0.6, 0.8, 0},
	}
	exact := func(slot uint32, dst []float32) ([]float32, bool) {
		v, ok := vecs[slot]
		return append(dst[:0], v...), ok
	}
	d := vecindex.NewDense(3, vecindex.DenseOptions{})
	for slot, v := range vecs {
		d.Add(slot, v)
	}
	for _, h := range d.Search([]float32{1, 0, 0}, 2, nil, exact) {
		fmt.Printf("slot %d score %.2f\n", h.Slot, h.Score)
	}
	// Only even slots:
	fmt.Println(d.Search([]float32{1, 0, 0}, 2, func(slot uint32) bool { return slot%2 == 0 }, exact))
	// Output:
	// slot 1 score 1.00
	// slot 3 score 0.60
	// [{2 0}]
}

func ExampleSparse() {
	s := vecindex.NewSparse()
	s.Add(1, []uint32{10, 20}, []float32{1, 1})
	s.Add(2, []uint32{20}, []float32{2})
	s.Add(3, []uint32{30}, []float32{1})
	// Term 10 is rarer than term 20, so it weighs more: IDF(1,3) > IDF(2,3).
	for _, h := range s.Search([]uint32{10, 20}, []float32{1, 1}, 10, nil) {
		fmt.Printf("slot %d score %.3f\n", h.Slot, h.Score)
	}
	// Output:
	// slot 1 score 1.451
	// slot 2 score 0.940
}
