package vecindex

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDotKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		a, b := make([]float32, n), make([]float32, n+3)
		var want float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, r.Float32()*2-1
			want += float64(a[i]) * float64(b[i])
		}
		for name, f := range dotKernels() {
			got := f(a, b)
			if math.Abs(float64(got)-want) > 1e-4*(1+math.Sqrt(float64(n))) {
				t.Fatalf("%s n=%d: got %v, want %v", name, n, got, want)
			}
		}
	}
}

func TestDotI8Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 300; n++ {
		a, b := make([]float32, n), make([]int8, n+3)
		var want float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, int8(r.IntN(255)-127)
			want += float64(a[i]) * float64(b[i])
		}
		for name, f := range dotI8Kernels() {
			got := f(a, b)
			if math.Abs(float64(got)-want) > 1e-4*127*(1+math.Sqrt(float64(n))) {
				t.Fatalf("%s n=%d: got %v, want %v", name, n, got, want)
			}
		}
	}
}

func TestDotI8I8Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 300; n++ {
		a, b := make([]int8, n), make([]int8, n+3)
		var want int32
		for i := range a {
			a[i], b[i] = int8(r.IntN(256)-128), int8(r.IntN(256)-128)
			want += int32(a[i]) * int32(b[i])
		}
		for name, f := range dotI8I8Kernels() {
			if got := f(a, b); got != want {
				t.Fatalf("%s n=%d: got %d, want %d", name, n, got, want)
			}
		}
	}
}

var sinkF32 float32

func BenchmarkDot512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float32, 512), make([]float32, 512)
	for i := range x {
		x[i], y[i] = r.Float32(), r.Float32()
	}
	for name, f := range dotKernels() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sinkF32 += f(x, y)
			}
		})
	}
}

func BenchmarkDotI8_512(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float32, 512), make([]int8, 512)
	for i := range x {
		x[i], y[i] = r.Float32(), int8(r.IntN(255)-127)
	}
	for name, f := range dotI8Kernels() {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				sinkF32 += f(x, y)
			}
		})
	}
}
