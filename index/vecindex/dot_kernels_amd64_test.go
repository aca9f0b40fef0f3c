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
