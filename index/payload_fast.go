package index

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// decodeFast decodes the JSON that json.Marshal writes for most payloads
// into canonical form without encoding/json's reflection and buffers (an
// engine decodes every stored payload when it opens: a million at a
// time). It accepts one object, optionally surrounded by whitespace, whose
// strings hold valid UTF-8 and no escape or control character; anything
// else (escapes, invalid input, trailing data, a non-object) returns ok
// false, and DecodePayload's encoding/json path decides. Where it accepts
// an input it returns what that path returns (FuzzDecodePayload checks).
func decodeFast(b []byte) (p Payload, ok bool) {
	d := fastDecoder{b: b}
	d.space()
	if d.i >= len(d.b) || d.b[d.i] != '{' {
		return nil, false
	}
	v, ok := d.value(0)
	if !ok {
		return nil, false
	}
	d.space()
	if d.i != len(d.b) {
		return nil, false
	}
	return v.(map[string]any), true
}

type fastDecoder struct {
	b []byte
	i int
}

// maxFastDepth bounds nesting on the fast path (deeper goes the slow way).
const maxFastDepth = 64

func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) value(depth int) (any, bool) {
	if depth > maxFastDepth || d.i >= len(d.b) {
		return nil, false
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth)
	case c == '[':
		return d.array(depth)
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.lit("true")
	case c == 'f':
		return false, d.lit("false")
	case c == 'n':
		return nil, d.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, false
}

func (d *fastDecoder) lit(s string) bool {
	if len(d.b)-d.i < len(s) || string(d.b[d.i:d.i+len(s)]) != s {
		return false
	}
	d.i += len(s)
	return true
}

func (d *fastDecoder) object(depth int) (any, bool) {
	d.i++ // {
	m := map[string]any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, true
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, false
		}
		k, ok := d.str()
		if !ok {
			return nil, false
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, false
		}
		d.i++
		d.space()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		m[k.(string)] = v
		more, ok := d.more('}')
		if !ok {
			return nil, false
		}
		if !more {
			return m, true
		}
	}
}

func (d *fastDecoder) array(depth int) (any, bool) {
	d.i++ // [
	a := []any{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return a, true
	}
	for {
		d.space()
		v, ok := d.value(depth + 1)
		if !ok {
			return nil, false
		}
		a = append(a, v)
		more, ok := d.more(']')
		if !ok {
			return nil, false
		}
		if !more {
			return a, true
		}
	}
}

// more reads what follows a member or an element: a comma (more is
// true), the closing byte (more is false), or anything else (ok is false).
func (d *fastDecoder) more(closing byte) (more, ok bool) {
	d.space()
	if d.i >= len(d.b) {
		return false, false
	}
	switch d.b[d.i] {
	case ',':
		d.i++
		return true, true
	case closing:
		d.i++
		return false, true
	}
	return false, false
}

// str reads a string without escapes or control characters, valid UTF-8.
func (d *fastDecoder) str() (any, bool) {
	start := d.i + 1
	ascii := true
	for j := start; j < len(d.b); j++ {
		switch c := d.b[j]; {
		case c == '"':
			s := d.b[start:j]
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			d.i = j + 1
			return string(s), true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// number reads a JSON number as canonical does: an integer literal (no
// fraction or exponent) that fits int64 is an int64, anything else a
// finite float64.
func (d *fastDecoder) number() (any, bool) {
	start := d.i
	j := d.i
	if j < len(d.b) && d.b[j] == '-' {
		j++
	}
	switch {
	case j < len(d.b) && d.b[j] == '0':
		j++
	case j < len(d.b) && d.b[j] >= '1' && d.b[j] <= '9':
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
	default:
		return nil, false
	}
	integral := true
	if j < len(d.b) && d.b[j] == '.' {
		integral = false
		j++
		if j >= len(d.b) || d.b[j] < '0' || d.b[j] > '9' {
			return nil, false
		}
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
	}
	if j < len(d.b) && (d.b[j] == 'e' || d.b[j] == 'E') {
		integral = false
		j++
		if j < len(d.b) && (d.b[j] == '+' || d.b[j] == '-') {
			j++
		}
		if j >= len(d.b) || d.b[j] < '0' || d.b[j] > '9' {
			return nil, false
		}
		for j < len(d.b) && d.b[j] >= '0' && d.b[j] <= '9' {
			j++
		}
	}
	d.i = j
	lit := string(d.b[start:j])
	if integral {
		if n, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return n, true
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, false // out of range: the slow path says so
	}
	return f, true
}
