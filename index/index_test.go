package index

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValuesPaths(t *testing.T) {
	p, err := DecodePayload([]byte(`{
		"a": {"b": 1, "c": [2, 3, null]},
		"items": [{"sku": "st-771"}, {"sku": "sf-1"}, {"other": true}],
		"tags": ["x", "y"],
		"n": null
	}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want []any
	}{
		{"a.b", []any{int64(1)}},
		{"a.c", []any{int64(2), int64(3)}},
		{"items[].sku", []any{"st-771", "sf-1"}},
		{"items.sku", nil}, // a plain segment does not enter arrays (as in Qdrant)
		{"tags", []any{"x", "y"}},
		{"n", nil},
		{"missing", nil},
		{"a.b.c", nil},
	} {
		if diff := cmp.Diff(tc.want, Values(p, tc.key)); diff != "" {
			t.Errorf("Values(%q) (-want +got):\n%s", tc.key, diff)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	id := "7f2c5b8e-0a4b-4c1e-9a53-2f0c8f1d9e01"
	p, _ := DecodePayload([]byte(`{"kb":"shop","tags":["refund","vip"],"n":5,"price":9.9,"ok":true,
		"at":"2026-11-01T10:00:00+08:00","empty":[]}`))
	at := time.Date(2026, 11, 1, 2, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		f    Filter
		want bool
	}{
		{"keyword", Filter{Must: []Condition{MatchKeyword("kb", "shop")}}, true},
		{"array any element", Filter{Must: []Condition{MatchKeyword("tags", "vip")}}, true},
		{"any-of", Filter{Must: []Condition{MatchAnyKeyword("tags", "a", "refund")}}, true},
		{"integer", Filter{Must: []Condition{MatchInteger("n", 5)}}, true},
		{"integer is not float", Filter{Must: []Condition{MatchInteger("price", 9)}}, false},
		{"range", Filter{Must: []Condition{NumberRange("price", Range{Gt: F(9), Lte: F(9.9)})}}, true},
		{"datetime with zone", Filter{Must: []Condition{TimeRange("at", DatetimeRange{Gte: at, Lte: at})}}, true},
		{"bool", Filter{Must: []Condition{MatchBool("ok", false)}}, false},
		{"is empty", Filter{Must: []Condition{IsEmpty("empty"), IsEmpty("missing")}}, true},
		{"has id", Filter{Must: []Condition{HasID(id)}}, true},
		{"has no ids", Filter{Must: []Condition{HasID()}}, false},
		{"should none", Filter{Should: []Condition{MatchKeyword("kb", "x"), MatchInteger("n", 6)}}, false},
		{"must not", Filter{MustNot: []Condition{MatchKeyword("tags", "vip")}}, false},
		{"nested", Filter{Must: []Condition{Nested(Filter{Should: []Condition{MatchKeyword("kb", "x"), MatchBool("ok", true)}})}}, true},
	} {
		if err := tc.f.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", tc.name, err)
		}
		if got := tc.f.Match(id, p); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
	bad := Filter{Must: []Condition{{}}}
	if err := bad.Validate(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("empty condition: %v", err)
	}
}

func TestFusion(t *testing.T) {
	a := []ScoredPoint{{Record: Record{ID: "a"}, Score: 0.9}, {Record: Record{ID: "b"}, Score: 0.5}, {Record: Record{ID: "c"}, Score: 0.1}}
	b := []ScoredPoint{{Record: Record{ID: "c"}, Score: 7}, {Record: Record{ID: "a"}, Score: 3}}
	rrf := FuseRRF(60, a, b)
	want := map[string]float64{"a": 1.0/61 + 1.0/62, "b": 1.0 / 62, "c": 1.0/63 + 1.0/61}
	for _, p := range rrf {
		if math.Abs(float64(p.Score)-want[p.ID]) > 1e-7 {
			t.Errorf("RRF %s = %v, want %v", p.ID, p.Score, want[p.ID])
		}
	}
	if rrf[0].ID != "a" || rrf[1].ID != "c" || rrf[2].ID != "b" {
		t.Errorf("RRF order %v", rrf)
	}
	// A point in both lists is kept as the first list has it.
	a[2].Payload, b[0].Payload = Payload{"leg": "first"}, Payload{"leg": "second"}
	if c := FuseRRF(60, a, b)[1]; c.ID != "c" || c.Payload["leg"] != "first" {
		t.Errorf("RRF kept %s with payload %v, want c as the first list has it", c.ID, c.Payload)
	}
	// DBSF as Qdrant: sample σ, mean±3σ mapped to [0,1], no clamping.
	d := FuseDBSF(a)
	mean := 0.5
	std := math.Sqrt((0.16 + 0 + 0.16) / 2)
	for _, p := range d {
		var s float64
		for _, q := range a {
			if q.ID == p.ID {
				s = float64(q.Score)
			}
		}
		if w := (s - (mean - 3*std)) / (6 * std); math.Abs(float64(p.Score)-w) > 1e-6 {
			t.Errorf("DBSF %s = %v, want %v", p.ID, p.Score, w)
		}
	}
	if one := FuseDBSF(b[:1]); one[0].Score != 0.5 {
		t.Errorf("DBSF of one point = %v, want 0.5", one[0].Score)
	}
}

func TestIDF(t *testing.T) {
	// ln(1 + (N - n + 0.5)/(n + 0.5))
	if got, want := IDF(1, 10), math.Log(1+9.5/1.5); math.Abs(got-want) > 1e-12 {
		t.Errorf("IDF(1,10) = %v, want %v", got, want)
	}
	if IDF(10, 10) <= 0 {
		t.Error("IDF of a term in every document must stay positive")
	}
}

func TestCanonical(t *testing.T) {
	p, err := CanonicalPayload(Payload{"i": 3, "u": uint8(2), "f": float32(1.5), "whole": 4.0, "s": []string{"a"}, "m": map[string]int{"x": 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := Payload{"i": int64(3), "u": int64(2), "f": 1.5, "whole": int64(4), "s": []any{"a"}, "m": map[string]any{"x": int64(1)}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("CanonicalPayload (-want +got):\n%s", diff)
	}
	if _, err := CanonicalPayload(Payload{"bad": math.NaN()}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("NaN payload: %v", err)
	}
	id, err := CanonicalID("7F2C5B8E-0A4B-4C1E-9A53-2F0C8F1D9E01")
	if err != nil || id != "7f2c5b8e-0a4b-4c1e-9a53-2f0c8f1d9e01" {
		t.Errorf("CanonicalID = %q, %v", id, err)
	}
	for _, bad := range []string{"", "42", "7f2c5b8e0a4b4c1e9a532f0c8f1d9e01", "urn:uuid:7f2c5b8e-0a4b-4c1e-9a53-2f0c8f1d9e01"} {
		if _, err := CanonicalID(bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("CanonicalID(%q): %v", bad, err)
		}
	}
}
