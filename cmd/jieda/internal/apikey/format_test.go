package apikey

import (
	"strings"
	"testing"
)

func TestKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s, err := randomBase62(secretLen)
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != secretLen || !isBase62(s) || seen[s] {
			t.Fatalf("randomBase62: %q", s)
		}
		seen[s] = true
	}
	good := "jd_Ab3dEf9h_" + strings.Repeat("x", 40)
	if id, secret, ok := Parse(good); !ok || id != "Ab3dEf9h" || secret != strings.Repeat("x", 40) {
		t.Errorf("Parse(good) = %q %q %v", id, secret, ok)
	}
	for _, bad := range []string{
		"", "jd_", "Ab3dEf9h_" + strings.Repeat("x", 40), "jd-Ab3dEf9h_" + strings.Repeat("x", 40),
		"jd_Ab3dEf9_" + strings.Repeat("x", 41), "jd_Ab3dEf9h_" + strings.Repeat("x", 31),
		"jd_Ab3dEf9h_" + strings.Repeat("x", 39) + "-", "jd_Ab3dEf9h_" + strings.Repeat("x", 200),
	} {
		if _, _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	// Point ids are a fixed function of the key id (stable across versions).
	if got, want := pointID("Ab3dEf9h"), "19d2b05b-72f6-5c54-bf89-01ed75c3dee4"; got != want {
		t.Errorf("pointID = %s, want %s", got, want)
	}
	if pointID("Ab3dEf9h") == pointID("Ab3dEf9i") {
		t.Error("two ids map to one point id")
	}
}
