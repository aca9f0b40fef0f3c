package vecindex

import "math"

// IEEE 754 half precision (binary16): Floats keeps a half-precision copy
// of its vectors, half the memory its scans read, and rescores the few
// vectors that can still make a top k from the full ones.

// toHalf rounds f to the nearest half (ties to even). Values beyond the
// largest half become infinities; NaN stays NaN.
func toHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127
	man := b & 0x7fffff
	switch {
	case exp == 128: // Inf or NaN
		if man != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp > 15:
		return sign | 0x7c00
	case exp >= -14: // a normal half: 10 of the 23 mantissa bits
		h := uint32(exp+15)<<10 | man>>13
		rest := man & 0x1fff
		if rest > 0x1000 || rest == 0x1000 && h&1 == 1 {
			h++ // may carry into the exponent, up to infinity: still right
		}
		return sign | uint16(h)
	case exp >= -25: // a subnormal half, or zero after rounding
		man |= 0x800000 // the implicit bit
		shift := uint(-exp - 14 + 13)
		h := man >> shift
		rest := man & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || rest == half && h&1 == 1 {
			h++
		}
		return sign | uint16(h)
	default:
		return sign
	}
}

// halfToFloat32 returns h's value, exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h >> 10 & 0x1f)
	man := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case exp != 0:
		return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
	case man == 0:
		return math.Float32frombits(sign)
	default: // subnormal: man × 2⁻²⁴
		f := float32(man) * 0x1p-24
		if sign != 0 {
			f = -f
		}
		return f
	}
}

// dotF16 returns Σ a[i]·b[i] over len(a) elements with b's halves taken
// as numbers; b must be at least as long as a. An AVX2+FMA+F16C kernel on
// amd64 (dot_amd64.s), dotF16Go elsewhere.
var dotF16 = dotF16Go

// halfScans says that dotF16 has a kernel: only then do Floats' scans
// read the half copy (the portable loop is slower than dot).
var halfScans = false

// dotF16Go is the portable dotF16, unrolled like dotGo.
func dotF16Go(a []float32, b []uint16) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * halfToFloat32(b[i])
		s1 += a[i+1] * halfToFloat32(b[i+1])
		s2 += a[i+2] * halfToFloat32(b[i+2])
		s3 += a[i+3] * halfToFloat32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += a[i] * halfToFloat32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// halfBound returns how far a computed dot product with the half copy h
// of v can be from the computed dot product with v, per unit of the
// query's norm: the rounding of each element (‖v − h‖, by Cauchy–Schwarz)
// plus the float32 rounding either computed sum may carry (at most
// n·2⁻²⁴ of Σ|q_i·x_i| ≤ ‖q‖·‖x‖ each, for n elements in any order of
// summation), padded upward. It is +Inf when a value does not fit a half.
func halfBound(v []float32, h []uint16) float32 {
	var e2, v2, h2 float64
	for i, x := range v {
		y := float64(halfToFloat32(h[i]))
		if math.IsInf(y, 0) || math.IsNaN(y) {
			return float32(math.Inf(1))
		}
		d := float64(x) - y // exact: both are float32s
		e2 += d * d
		v2 += float64(x) * float64(x)
		h2 += y * y
	}
	gamma := float64(len(v)+1) * 0x1p-24
	b := math.Sqrt(e2) + gamma*(math.Sqrt(v2)+math.Sqrt(h2))
	return math.Nextafter32(float32(b*(1+0x1p-20)), float32(math.Inf(1)))
}
