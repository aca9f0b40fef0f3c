package embedded

import "slices"

// mergeSorted merges add into list, both sorted by cmpf, in place (list
// grows like append), from the back: each added element's place is found
// by binary search and the elements after it move as one block, so an
// element added at the end (the latest time, the largest id) moves
// nothing. Equal elements keep the list's first. add is sorted first.
func mergeSorted[T any](list, add []T, cmpf func(a, b T) int) []T {
	if len(add) == 0 {
		return list
	}
	slices.SortFunc(add, cmpf)
	n, m := len(list), len(add)
	list = slices.Grow(list, m)[:n+m]
	end := n // list[:end] holds the old elements not yet moved
	for j := m - 1; j >= 0; j-- {
		at, _ := slices.BinarySearchFunc(list[:end], add[j], func(e, a T) int {
			if cmpf(e, a) <= 0 {
				return -1
			}
			return 1
		})
		copy(list[at+j+1:end+j+1], list[at:end])
		list[at+j] = add[j]
		end = at
	}
	return list
}
