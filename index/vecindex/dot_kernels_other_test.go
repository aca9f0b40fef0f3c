//go:build !amd64 || purego

package vecindex

func dotKernels() map[string]func(a, b []float32) float32 {
	return map[string]func(a, b []float32) float32{"go": dotGo, "default": dot}
}

func dotI8Kernels() map[string]func(a []float32, b []int8) float32 {
	return map[string]func(a []float32, b []int8) float32{"go": dotI8Go, "default": dotI8}
}

func dotI8I8Kernels() map[string]func(a, b []int8) int32 {
	return map[string]func(a, b []int8) int32{"go": dotI8I8Go, "default": dotI8I8}
}

func dotF16Kernels() map[string]func(a []float32, b []uint16) float32 {
	return map[string]func(a []float32, b []uint16) float32{"go": dotF16Go, "default": dotF16}
}
