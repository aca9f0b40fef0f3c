package apikey

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/index"
	"github.com/jieda/jieda/index/embedded"
)

// testStore is a key store over a real embedded store in a temporary directory.
func testStore(t *testing.T) (*Store, index.Store) {
	t.Helper()
	cfg := embedded.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "data")
	s, err := embedded.Open(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return NewStore(s), s
}

func allRecords(t *testing.T, s index.Store) []index.Record {
	t.Helper()
	var out []index.Record
	err := index.ScrollAll(t.Context(), s, Collection, index.ScrollRequest{Limit: 100, With: index.With{Payload: true}}, func(r index.Record) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The store holds a hash of each key, never the key or its secret.
func TestStoredKeysHoldNoSecret(t *testing.T) {
	st, s := testStore(t)
	keys := map[string]Key{}
	for _, r := range []Role{RoleCustomer, RoleAdmin} {
		key, k, err := st.Create(t.Context(), r, []string{"shop"}, "test", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		keys[key] = k
	}
	info, err := s.Collection(t.Context(), Collection)
	if err != nil {
		t.Fatal(err)
	}
	if info.Dim != 0 || info.PayloadIndexes["key_id"] != index.FieldKeyword || info.Points != 2 {
		t.Errorf("api_keys collection: %+v", info)
	}
	recs := allRecords(t, s)
	dump, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	for key, k := range keys {
		_, secret, _ := Parse(key)
		if bytes.Contains(dump, []byte(secret)) || bytes.Contains(dump, []byte(key)) {
			t.Errorf("the store holds key %s's secret:\n%s", k.ID, dump)
		}
		sum := HashSecret(secret)
		found := false
		for _, r := range recs {
			if r.ID == pointID(k.ID) {
				found = true
				if r.Payload["secret_sha256"] != hex.EncodeToString(sum[:]) || r.Payload["key_id"] != k.ID || r.Dense != nil || r.Sparse != nil {
					t.Errorf("record of %s: %+v", k.ID, r)
				}
			}
		}
		if !found {
			t.Errorf("no point %s for key %s", pointID(k.ID), k.ID)
		}
	}
}

// A key created, looked up, listed and revoked round-trips through the store.
func TestKeyLifecycle(t *testing.T) {
	st, _ := testStore(t)
	ctx := t.Context()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key, k, err := st.Create(ctx, RoleEditor, []string{"b", " a ", "b"}, "desk", t0)
	if err != nil {
		t.Fatal(err)
	}
	id, secret, ok := Parse(key)
	if !ok || id != k.ID || !k.Matches(secret) || k.Matches(secret[1:]+"x") {
		t.Fatalf("Parse(%q) = %q, %v; matches %v", key, id, ok, k.Matches(secret))
	}
	got, found, err := st.Lookup(ctx, id)
	if err != nil || !found {
		t.Fatalf("Lookup: %v, %v", found, err)
	}
	if diff := cmp.Diff(k, got, cmp.AllowUnexported(Key{})); diff != "" {
		t.Errorf("Lookup (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "b"}, got.KBs); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if !got.MayUseKB("a") || got.MayUseKB("c") {
		t.Errorf("MayUseKB: scoped to %v", got.KBs)
	}
	rk, changed, err := st.Revoke(ctx, id, t0.Add(time.Hour))
	if err != nil || !changed || !rk.Revoked() {
		t.Fatalf("Revoke: %+v, %v, %v", rk, changed, err)
	}
	if _, changed, err := st.Revoke(ctx, id, t0.Add(2*time.Hour)); err != nil || changed {
		t.Errorf("second Revoke: changed %v, %v", changed, err)
	}
	list, err := st.List(ctx)
	if err != nil || len(list) != 1 || !list[0].RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("List: %+v, %v", list, err)
	}
	if _, _, err := st.Revoke(ctx, "AAAAAAAA", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v, want ErrNotFound", err)
	}
	if _, _, err := st.Create(ctx, RoleAgent, []string{" "}, "", t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Create with an empty scope = %v, want ErrInvalid", err)
	}
}

func TestKeyNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"": true, "support desk": true, "前台 2": true, "a\nb": false, "a\tb": false, "\u202eevil": false,
		"x\x00": false, "\xff": false, string(make([]rune, MaxNameRunes+1)): false,
	} {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	if got := SafeName("desk\nadmin\u202e"); got != "desk?admin?" {
		t.Errorf("SafeName = %q", got)
	}
}

func TestTrustedKeys(t *testing.T) {
	st, _ := testStore(t)
	_, k, err := st.CreateKey(t.Context(), Spec{Role: RoleCustomer, Trusted: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := st.Lookup(t.Context(), k.ID); !got.Trusted {
		t.Error("the trusted flag did not round-trip")
	}
	if _, _, err := st.CreateKey(t.Context(), Spec{Role: RoleWidget, KBs: []string{"shop"}, Origins: []string{"https://shop.example"}, Trusted: true}, time.Now()); !errors.Is(err, ErrInvalid) {
		t.Errorf("a trusted widget key: %v", err)
	}
}
