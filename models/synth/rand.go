package synth

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"unsafe"
)

// littleEndian reports whether the host stores numbers little-endian, as
// ONNX raw_data does.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// rng is a SplitMix64 generator. It is tiny, fast (about a nanosecond per
// value) and, unlike math/rand's distributions, its output is fixed by this
// code alone, so a seed names the same weights on every platform and Go
// release.
type rng struct{ state uint64 }

// newRNG returns a generator for one named stream of a seed, so that every
// tensor draws from its own stream and adding a tensor never shifts another.
func newRNG(seed int64, stream string) *rng {
	h := fnv.New64a()
	_, _ = h.Write([]byte(stream))
	r := &rng{state: uint64(seed) ^ h.Sum64()}
	r.next() // mix the seed once so that nearby seeds diverge at once
	return r
}

func (r *rng) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// normScale maps the sum of four uniform 16-bit integers to unit variance:
// each has variance (65536²-1)/12, so the sum's deviation is ≈ 65536/√3.
var normScale = float32(math.Sqrt(3) / 65536)

// normal returns an approximately standard normal value: the centred sum of
// the four 16-bit words of one draw (Irwin–Hall with n=4, bounded at ±3.46σ,
// which is all random initial weights need). Every step is exact in float32.
func (r *rng) normal() float32 {
	x := r.next()
	s := float32(x&0xffff) + float32(x>>16&0xffff) + float32(x>>32&0xffff) + float32(x>>48)
	return (s - 2*65535) * normScale
}

// putFloats returns vs as little-endian float32 bytes, the layout of
// TensorProto.raw_data: on little-endian hosts the slice's own memory, which
// the caller must then leave alone, otherwise a converted copy.
func putFloats(vs []float32) []byte {
	if len(vs) == 0 {
		return nil
	}
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&vs[0])), 4*len(vs))
	}
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// putInt64s writes vs as little-endian int64 into a new byte slice.
func putInt64s(vs []int64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return b
}

// normalFloats returns n values drawn from N(0, std²) on the named stream.
func normalFloats(seed int64, stream string, n int, std float32) []float32 {
	r := newRNG(seed, stream)
	vs := make([]float32, n)
	// Fill through a small local block: same values, but one instrumented
	// copy per block instead of one per value under the race detector.
	var block [512]float32
	for i := 0; i < n; i += len(block) {
		k := min(len(block), n-i)
		for j := range k {
			block[j] = r.normal() * std
		}
		copy(vs[i:i+k], block[:k])
	}
	return vs
}
