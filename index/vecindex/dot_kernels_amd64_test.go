//go:build amd64 && !purego

package vecindex

func dotKernels() map[string]func(a, b []float32) float32 {
	m := map[string]func(a, b []float32) float32{"go": dotGo, "default": dot}
	if hasAVX2 {
		m["avx2"] = dotAsm2
	}
	if hasAVX512 {
		m["avx512"] = dotAsm512
	}
	return m
}

func dotI8Kernels() map[string]func(a []float32, b []int8) float32 {
	m := map[string]func(a []float32, b []int8) float32{"go": dotI8Go, "default": dotI8}
	if hasAVX2 {
		m["avx2"] = dotI8Asm2
	}
	if hasAVX512 {
		m["avx512"] = dotI8Asm512
	}
	return m
}

func dotI8I8Kernels() map[string]func(a, b []int8) int32 {
	m := map[string]func(a, b []int8) int32{"go": dotI8I8Go, "default": dotI8I8}
	if hasAVX2 {
		m["avx2"] = dotI8I8Asm2
	}
	if hasAVX512BW {
		m["avx512bw"] = dotI8I8Asm512
	}
	return m
}

func dotF16Kernels() map[string]func(a []float32, b []uint16) float32 {
	m := map[string]func(a []float32, b []uint16) float32{"go": dotF16Go, "default": dotF16}
	if hasAVX2F16 {
		m["avx2"] = dotF16Asm2
	}
	if hasAVX512 && hasAVX2F16 {
		m["avx512"] = dotF16Asm512
	}
	return m
}
