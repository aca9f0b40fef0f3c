package index

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// CanonicalID validates a UUID and returns its canonical lowercase hyphenated form.
func CanonicalID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return "", fmt.Errorf("%w: %q is not a UUID", ErrInvalidID, id)
	}
	return u.String(), nil
}

var collectionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// ValidateCollectionName checks a collection name.
func ValidateCollectionName(name string) error {
	if !collectionName.MatchString(name) {
		return fmt.Errorf("%w: collection name %q must be 1-255 characters of [A-Za-z0-9_-]", ErrInvalidArgument, name)
	}
	return nil
}

// Validate checks a collection config.
func (c CollectionConfig) Validate() error {
	if err := ValidateCollectionName(c.Name); err != nil {
		return err
	}
	if c.Dim < 0 || c.Dim > 65536 {
		return fmt.Errorf("%w: collection %s: dimension %d must be in [0, 65536]", ErrInvalidArgument, c.Name, c.Dim)
	}
	if c.Dim == 0 && !c.Sparse {
		return fmt.Errorf("%w: collection %s has neither a dense nor a sparse vector", ErrInvalidArgument, c.Name)
	}
	return nil
}

// CanonicalPayload converts a payload to canonical JSON form: integers
// (of any Go integer type, or integral JSON numbers) become int64, other
// numbers float64, structs and typed slices go through encoding/json.
// Non-finite numbers and values JSON cannot encode are errors.
func CanonicalPayload(p Payload) (Payload, error) {
	if p == nil {
		return Payload{}, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not JSON: %w", ErrInvalidArgument, err)
	}
	return DecodePayload(b)
}

// DecodePayload decodes a JSON object into canonical form.
func DecodePayload(b []byte) (Payload, error) {
	if p, ok := decodeFast(b); ok {
		return p, nil
	}
	return decodeSlow(b)
}

// decodeSlow is DecodePayload through encoding/json: the definition of
// what a payload decodes to.
func decodeSlow(b []byte) (Payload, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: payload is not a JSON object: %w", ErrInvalidArgument, err)
	}
	if raw == nil {
		return Payload{}, nil
	}
	out, err := canonical(raw)
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

func canonical(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(string(x), ".eE") {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: payload number %s out of range", ErrInvalidArgument, x)
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			c, err := canonical(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
		return x, nil
	case []any:
		for i, e := range x {
			c, err := canonical(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return x, nil
	}
	return v, nil
}

// Values returns the non-null values at a key, with Qdrant's JSON path
// semantics: "a.b" descends into nested objects; "a[].b" descends into each
// object of the array a (a plain segment does not enter arrays); an array
// at the end of the path yields its elements.
func Values(p Payload, key string) []any {
	var out []any
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		if v == nil {
			return
		}
		if len(path) == 0 {
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					if e != nil {
						out = append(out, e)
					}
				}
				return
			}
			out = append(out, v)
			return
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		seg := path[0]
		if name, isArr := strings.CutSuffix(seg, "[]"); isArr {
			arr, ok := obj[name].([]any)
			if !ok {
				return
			}
			for _, e := range arr {
				walk(e, path[1:])
			}
			return
		}
		walk(obj[seg], path[1:])
	}
	walk(p, strings.Split(key, "."))
	return out
}

// Number returns a payload value as a float64 if it is a number.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// CopyPayload deep-copies a canonical payload (nil becomes empty).
func CopyPayload(p Payload) Payload {
	if p == nil {
		return Payload{}
	}
	return CopyValue(p).(map[string]any)
}

// CopyFields deep-copies the listed top-level keys of p (all of p when
// fields is nil).
func CopyFields(p Payload, fields []string) Payload {
	if fields == nil {
		return CopyPayload(p)
	}
	out := make(Payload, len(fields))
	for _, k := range fields {
		if v, ok := p[k]; ok {
			out[k] = CopyValue(v)
		}
	}
	return out
}

// CopyValue deep-copies a canonical payload value.
func CopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = CopyValue(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = CopyValue(e)
		}
		return s
	}
	return v
}
