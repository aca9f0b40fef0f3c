package index

import (
	"cmp"
	"math"
	"slices"
)

// IDF is the inverse document frequency Qdrant's `idf` modifier applies to
// sparse vectors: ln(1 + (N - n + 0.5) / (n + 0.5)), where N is the number
// of points with a sparse vector and n the number containing the term.
func IDF(n, N int) float64 {
	return math.Log(1 + (float64(N)-float64(n)+0.5)/(float64(n)+0.5))
}

// FuseRRF merges ranked lists by reciprocal rank fusion: each point scores
// Σ 1/(k + rank) over the lists it appears in, rank counted from 1. Ties
// break by id so results are deterministic.
func FuseRRF(k int, lists ...[]ScoredPoint) []ScoredPoint {
	if k <= 0 {
		k = DefaultRRFK
	}
	return fuse(lists, func(list []ScoredPoint) []float64 {
		s := make([]float64, len(list))
		for i := range list {
			s[i] = 1 / float64(k+i+1)
		}
		return s
	})
}

// FuseDBSF merges scored lists by distribution-based score fusion, as
// Qdrant computes it: each list's scores are mapped linearly from
// [mean-3σ, mean+3σ] onto [0, 1] (σ the sample standard deviation; not
// clamped), then summed per point. A list of one point, or with no spread,
// scores 0.5.
func FuseDBSF(lists ...[]ScoredPoint) []ScoredPoint {
	return fuse(lists, func(list []ScoredPoint) []float64 {
		s := make([]float64, len(list))
		if len(list) == 0 {
			return s
		}
		var mean, sq float64
		for _, p := range list {
			mean += float64(p.Score)
		}
		mean /= float64(len(list))
		for _, p := range list {
			d := float64(p.Score) - mean
			sq += d * d
		}
		std := 0.0
		if len(list) > 1 {
			std = math.Sqrt(sq / float64(len(list)-1))
		}
		lo, hi := mean-3*std, mean+3*std
		for i, p := range list {
			if hi == lo {
				s[i] = 0.5
				continue
			}
			s[i] = (float64(p.Score) - lo) / (hi - lo)
		}
		return s
	})
}

// fuse sums each point's scores over the lists it appears in, in list
// order, and keeps the point as the first list holding it has it.
func fuse(lists [][]ScoredPoint, scores func([]ScoredPoint) []float64) []ScoredPoint {
	n := 0
	for _, list := range lists {
		n += len(list)
	}
	at := make(map[string]int, n) // id → position in out
	out := make([]ScoredPoint, 0, n)
	total := make([]float64, 0, n)
	for _, list := range lists {
		for i, s := range scores(list) {
			if j, ok := at[list[i].ID]; ok {
				total[j] += s
				continue
			}
			at[list[i].ID] = len(out)
			out = append(out, list[i])
			total = append(total, s)
		}
	}
	for i := range out {
		out[i].Score = float32(total[i])
	}
	SortScored(out)
	return out
}

// SortScored orders results by descending score, then ascending id.
func SortScored(ps []ScoredPoint) {
	slices.SortFunc(ps, func(a, b ScoredPoint) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
