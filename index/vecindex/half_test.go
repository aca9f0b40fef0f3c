package vecindex

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestHalfRoundTrip checks every half: its value converts back to itself
// (NaNs to a NaN).
func TestHalfRoundTrip(t *testing.T) {
	for h := range 1 << 16 {
		f := halfToFloat32(uint16(h))
		got := toHalf(f)
		if math.IsNaN(float64(f)) {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("%#04x: NaN came back as %#04x", h, got)
			}
			continue
		}
		if got != uint16(h) {
			t.Fatalf("%#04x (%v): came back as %#04x", h, f, got)
		}
	}
}

// TestToHalfRounds checks toHalf against the nearest half found by search,
// ties to the even one, on random float32s of every magnitude a half
// covers and beyond, and on the midpoints between neighbouring halves.
func TestToHalfRounds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(f float32) {
		t.Helper()
		if got, want := toHalf(f), nearestHalf(f); got != want {
			t.Fatalf("toHalf(%v) = %#04x (%v), want %#04x (%v)", f, got, halfToFloat32(got), want, halfToFloat32(want))
		}
	}
	for range 200_000 {
		exp := r.IntN(50) - 32 // 2⁻³² … 2¹⁷
		f := float32(math.Ldexp(1+r.Float64(), exp))
		if r.IntN(2) == 0 {
			f = -f
		}
		check(f)
	}
	for h := range uint16(0x7bff) { // positive finite halves and the next one up
		lo, hi := float64(halfToFloat32(h)), float64(halfToFloat32(h+1))
		check(float32((lo + hi) / 2)) // exact in float32: a tie
	}
	check(0)
	check(float32(math.Inf(1)))
	check(65520) // rounds up to infinity
	check(65519.99)
}

// nearestHalf is the reference rounding: the finite half nearest f (ties to
// an even mantissa), infinity past the largest half's rounding range.
func nearestHalf(f float32) uint16 {
	var sign uint16
	x := float64(f)
	if x < 0 {
		sign, x = 0x8000, -x
	}
	if math.IsInf(x, 1) || x >= 65520 {
		return sign | 0x7c00
	}
	lo, hi := uint16(0), uint16(0x7bff)
	for lo < hi { // the last half ≤ x
		mid := (lo + hi + 1) / 2
		if float64(halfToFloat32(mid)) <= x {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0x7bff {
		return sign | lo
	}
	a, b := new(big.Float).SetFloat64(x-float64(halfToFloat32(lo))), new(big.Float).SetFloat64(float64(halfToFloat32(lo+1))-x)
	switch a.Cmp(b) {
	case -1:
		return sign | lo
	case 1:
		return sign | (lo + 1)
	}
	if lo&1 == 0 {
		return sign | lo
	}
	return sign | (lo + 1)
}

func TestDotF16Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 300; n++ {
		a, b := make([]float32, n), make([]uint16, n+3)
		var want, abs float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, toHalf(r.Float32()*2-1)
			p := float64(a[i]) * float64(halfToFloat32(b[i]))
			want += p
			abs += math.Abs(p)
		}
		for name, f := range dotF16Kernels() {
			got := f(a, b)
			if math.Abs(float64(got)-want) > float64(n+1)*0x1p-24*abs {
				t.Fatalf("%s n=%d: got %v, want %v", name, n, got, want)
			}
		}
	}
}

// TestHalfBound checks the bound holds between the computed dot products
// with a vector and with its half copy, for vectors of every scale.
func TestHalfBound(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 2000 {
		dim := 1 + r.IntN(700)
		scale := math.Ldexp(1, r.IntN(30)-20)
		v, q, h := make([]float32, dim), make([]float32, dim), make([]uint16, dim)
		var qn float64
		for j := range v {
			v[j] = float32((r.Float64()*2 - 1) * scale)
			q[j] = float32(r.Float64()*2 - 1)
			h[j] = toHalf(v[j])
			qn += float64(q[j]) * float64(q[j])
		}
		b := float64(halfBound(v, h))
		if math.IsInf(b, 0) {
			continue
		}
		diff := math.Abs(float64(dot(q, v)) - float64(dotF16(q, h)))
		if diff > math.Sqrt(qn)*b {
			t.Fatalf("vector %d (dim %d, scale %g): |Δ| %g over the bound %g", i, dim, scale, diff, math.Sqrt(qn)*b)
		}
	}
	if b := halfBound([]float32{1, 70000}, []uint16{toHalf(1), toHalf(70000)}); !math.IsInf(float64(b), 1) {
		t.Fatalf("a value past the largest half: bound %v, want +Inf", b)
	}
}

func BenchmarkDotF16_512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float32, 512), make([]uint16, 512)
	for i := range x {
		x[i], y[i] = r.Float32(), toHalf(r.Float32())
	}
	for name, f := range dotF16Kernels() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sinkF32 += f(x, y)
			}
		})
	}
}
