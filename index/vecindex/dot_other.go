//go:build !amd64 || purego

package vecindex

func prefetchBytes(b []byte) {}
