package vecindex

// dot returns the dot product of a and b over len(a) elements; b must be at
// least as long as a. It is the hot loop of every dense search: on amd64 with
// AVX2 and FMA it runs an assembly kernel (dot_amd64.s), elsewhere dotGo.
var dot = dotGo

// dotGo is the portable dot product: unrolled by 8 with four independent
// accumulators so the adds pipeline, and with the bounds checks hoisted out
// of the loop by the re-slicing of b.
func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotI8 returns Σ a[i]·b[i] over len(a) elements with b's int8s taken as
// numbers; b must be at least as long as a. It scores a query against
// quantized vectors (scaled by the caller): an AVX-512F or AVX2+FMA
// kernel on amd64 (dot_amd64.s), dotI8Go elsewhere.
var dotI8 = dotI8Go

// dotI8Go is the portable dotI8, unrolled like dotGo.
func dotI8Go(a []float32, b []int8) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*float32(bb[0]) + aa[4]*float32(bb[4])
		s1 += aa[1]*float32(bb[1]) + aa[5]*float32(bb[5])
		s2 += aa[2]*float32(bb[2]) + aa[6]*float32(bb[6])
		s3 += aa[3]*float32(bb[3]) + aa[7]*float32(bb[7])
	}
	for ; i < len(a); i++ {
		s0 += a[i] * float32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// dotI8I8 returns Σ a[i]·b[i] over len(a) int8s (b at least as long),
// exactly: it compares two quantized vectors while the graph is built. An
// AVX-512BW or AVX2 kernel on amd64, dotI8I8Go elsewhere.
var dotI8I8 = dotI8I8Go

func dotI8I8Go(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += int32(a[i]) * int32(b[i])
		s1 += int32(a[i+1]) * int32(b[i+1])
		s2 += int32(a[i+2]) * int32(b[i+2])
		s3 += int32(a[i+3]) * int32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}
