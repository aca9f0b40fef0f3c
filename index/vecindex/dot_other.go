//go:build !amd64 || purego

package vecindex

func prefetchVec(v []float32) {}

func prefetchBytes(b []byte) {}
