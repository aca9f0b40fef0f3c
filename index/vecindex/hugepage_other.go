//go:build !linux

package vecindex

func adviseHuge[T any](s []T, collapse bool) {}
