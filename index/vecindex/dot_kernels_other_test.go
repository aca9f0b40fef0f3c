//go:build !amd64 || purego

package vecindex

func dotKernels() map[string]func(a, b []float32) float32 {
	return map[string]func(a, b []float32) float32{"go": dotGo, "default": dot}
}
