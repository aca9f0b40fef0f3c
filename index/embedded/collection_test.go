package embedded

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMergeSorted(t *testing.T) {
	tests := []struct {
		a, b, want []string
	}{
		{nil, nil, nil},
		{nil, []string{"a"}, []string{"a"}},
		{[]string{"a"}, nil, []string{"a"}},
		{[]string{"a", "c", "e"}, []string{"b", "d", "f"}, []string{"a", "b", "c", "d", "e", "f"}},
		{[]string{"d", "e"}, []string{"a", "b"}, []string{"a", "b", "d", "e"}},
		{[]string{"a", "b"}, []string{"c", "d"}, []string{"a", "b", "c", "d"}},
		{[]string{"b"}, []string{"a", "c"}, []string{"a", "b", "c"}},
		{[]string{"a", "c", "e", "g"}, []string{"f", "b", "h", "d", "c"}, []string{"a", "b", "c", "c", "d", "e", "f", "g", "h"}},
	}
	for _, tt := range tests {
		a := append([]string(nil), tt.a...)
		got := mergeSorted(a, append([]string(nil), tt.b...), strings.Compare)
		if len(got) == 0 {
			got = nil
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("mergeSorted(%q, %q) (-want +got):\n%s", tt.a, tt.b, d)
		}
	}
}
