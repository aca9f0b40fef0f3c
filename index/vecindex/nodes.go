package vecindex

import (
	"math"
	"unsafe"
)

// A node's record in the node store is its vector quantized to int8:
//
//	scale float32 | bound float32 | dim int8 codes | padding to stride
//
// with code_i = round(x_i / scale) and scale = max|x_i| / 127, so the
// vector is approximately scale × code. bound is what the score of any
// query q against the codes may be off the float32 dot product with the
// vector itself, per unit of ‖q‖ (see quantize). A record is a quarter of
// the float32 vector: graph searches read 4× less memory at random, and
// the index holds 4× less. Exact scores come from the full vectors the
// caller keeps (Exact).
const recordHeader = 8

// Exact returns the full-precision vector stored for slot, into dst
// (reused when large enough) or as a view of memory that does not change
// while the search runs (Floats.Exact), which the search only reads; ok
// is false when the caller has none. The
// index keeps vectors only quantized (pending ones excepted): searches
// compute exact scores for the candidates that can still make the top k
// with the vectors Exact returns. It runs under the index's read locks
// and must not call the index.
type Exact func(slot uint32, dst []float32) (vec []float32, ok bool)

// recordStride returns the bytes a node record takes for dimension dim
// (a multiple of 16, so the floats stay aligned).
func recordStride(dim int) int { return (recordHeader + max(dim, 0) + 15) &^ 15 }

// chunkShift returns log2 of the records per chunk of at least chunkBytes.
func chunkShift(stride int) uint {
	s := uint(4)
	for (1<<s)*max(stride, 1) < chunkBytes {
		s++
	}
	return s
}

// rec returns node n's record (not a copy).
func (d *Dense) rec(n uint32) []byte {
	c := d.recs[n>>d.shift]
	off := int(n&d.mask) * d.stride
	return c[off : off+d.stride : off+d.stride]
}

func recScale(r []byte) float32 { return *(*float32)(unsafe.Pointer(&r[0])) }
func recBound(r []byte) float32 { return *(*float32)(unsafe.Pointer(&r[4])) }

func recCodes(r []byte, dim int) []int8 {
	return unsafe.Slice((*int8)(unsafe.Pointer(&r[recordHeader])), dim)
}

// score is the approximate similarity of q and node n.
func (d *Dense) score(q []float32, n uint32) float32 {
	r := d.rec(n)
	return recScale(r) * dotI8(q, recCodes(r, d.dim))
}

// scoreNodes is the approximate similarity of nodes a and b (building
// the graph compares stored vectors with each other).
func (d *Dense) scoreNodes(a, b uint32) float32 {
	ra, rb := d.rec(a), d.rec(b)
	return recScale(ra) * recScale(rb) * float32(dotI8I8(recCodes(ra, d.dim), recCodes(rb, d.dim)))
}

// quantize writes v's record into r. The bound covers the quantization
// error (Cauchy-Schwarz: |q·x − q·x̂| ≤ ‖q‖·‖x − x̂‖) and the float32
// rounding of both dot products (each within dim·2⁻²⁴·‖q‖·‖vector‖), with
// a factor of two to spare on the rounding.
func quantize(v []float32, r []byte) {
	var m float32
	for _, x := range v {
		m = max(m, float32(math.Abs(float64(x))))
	}
	codes := recCodes(r, len(v))
	var scale float32
	var e2, n2, nq2 float64
	if m > 0 && !math.IsInf(float64(m), 0) {
		scale = m / 127
		inv := float64(127) / float64(m)
		for i, x := range v {
			c := math.Max(-127, math.Min(127, math.Round(float64(x)*inv)))
			codes[i] = int8(c)
			q := c * float64(scale)
			e2 += (float64(x) - q) * (float64(x) - q)
			n2 += float64(x) * float64(x)
			nq2 += q * q
		}
	} else {
		clear(codes)
		for _, x := range v {
			e2 += float64(x) * float64(x)
			n2 += float64(x) * float64(x)
		}
	}
	rounding := float64(len(v)+2) * 0x1p-23 * (math.Sqrt(n2) + math.Sqrt(nq2))
	bound := float32(math.Sqrt(e2) + rounding)
	*(*float32)(unsafe.Pointer(&r[0])) = scale
	*(*float32)(unsafe.Pointer(&r[4])) = math.Nextafter32(bound, float32(math.Inf(1)))
}
