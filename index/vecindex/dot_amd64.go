//go:build amd64 && !purego

package vecindex

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// dotAVX2 is the AVX2+FMA kernel in dot_amd64.s: the dot product of the
// first n elements of a and b. Callers guarantee both hold n elements.
//
//go:noescape
func dotAVX2(a, b *float32, n int) float32

// dotAVX512 is the AVX-512F kernel in dot_amd64.s.
//
//go:noescape
func dotAVX512(a, b *float32, n int) float32

func dotAsm2(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotAVX2(&a[0], &b[0], len(a))
}

func dotAsm512(a, b []float32) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotAVX512(&a[0], &b[0], len(a))
}

// dotI8AVX2 and dotI8AVX512 are the kernels of dotI8 in dot_amd64.s.
//
//go:noescape
func dotI8AVX2(a *float32, b *int8, n int) float32

//go:noescape
func dotI8AVX512(a *float32, b *int8, n int) float32

func dotI8Asm2(a []float32, b []int8) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotI8AVX2(&a[0], &b[0], len(a))
}

func dotI8Asm512(a []float32, b []int8) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotI8AVX512(&a[0], &b[0], len(a))
}

// dotI8I8AVX2 and dotI8I8AVX512 are the kernels of dotI8I8 in dot_amd64.s.
//
//go:noescape
func dotI8I8AVX2(a, b *int8, n int) int32

//go:noescape
func dotI8I8AVX512(a, b *int8, n int) int32

func dotI8I8Asm2(a, b []int8) int32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotI8I8AVX2(&a[0], &b[0], len(a))
}

func dotI8I8Asm512(a, b []int8) int32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotI8I8AVX512(&a[0], &b[0], len(a))
}

// dotF16AVX2 and dotF16AVX512 are the kernels of dotF16 in dot_amd64.s.
//
//go:noescape
func dotF16AVX2(a *float32, b *uint16, n int) float32

//go:noescape
func dotF16AVX512(a *float32, b *uint16, n int) float32

func dotF16Asm512(a []float32, b []uint16) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotF16AVX512(&a[0], &b[0], len(a))
}

func dotF16Asm2(a []float32, b []uint16) float32 {
	if len(a) == 0 {
		return 0
	}
	b = b[:len(a)]
	return dotF16AVX2(&a[0], &b[0], len(a))
}

var (
	hasAVX2F16  = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C
	hasAVX2     = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	hasAVX512   = cpu.X86.HasAVX512F
	hasAVX512BW = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
)

func init() {
	switch {
	case hasAVX512:
		dot, dotI8 = dotAsm512, dotI8Asm512
	case hasAVX2:
		dot, dotI8 = dotAsm2, dotI8Asm2
	}
	switch {
	case hasAVX512 && hasAVX2F16:
		dotF16, halfScans = dotF16Asm512, true
	case hasAVX2F16:
		dotF16, halfScans = dotF16Asm2, true
	}
	switch {
	case hasAVX512BW:
		dotI8I8 = dotI8I8Asm512
	case hasAVX2:
		dotI8I8 = dotI8I8Asm2
	}
}

// prefetch hints the CPU to load the n float32s at p (dot_amd64.s).
//
//go:noescape
func prefetch(p *float32, n int)

// prefetchBytes hints the CPU to load b.
func prefetchBytes(b []byte) {
	if len(b) >= 4 {
		prefetch((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
	}
}
