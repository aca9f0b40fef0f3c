package index

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast decodes the JSON that json.Marshal writes for most payloads
// into canonical form without encoding/json's reflection and buffers (an
// engine decodes every stored payload when it opens: a million at a
// time, and every payload a read returns). It accepts one object,
// optionally surrounded by whitespace, whose strings hold valid UTF-8, no
// raw control character and no lone surrogate escape; anything else
// (invalid input, trailing data, a non-object) returns ok false, and
// DecodePayload's encoding/json path decides. Where it accepts
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

// str reads a string of valid UTF-8 without control characters.
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
		case c == '\\':
			return d.escaped(start, j)
		case c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// escaped finishes a string whose first escape is at j, decoding escapes
// as encoding/json does. A surrogate escape that is not half of a valid
// pair (encoding/json writes U+FFFD for it) goes the slow way, as do
// control characters and invalid UTF-8. Escapes only ever yield whole
// runes, so the result is valid UTF-8 exactly when its raw runs are.
func (d *fastDecoder) escaped(start, j int) (any, bool) {
	buf := make([]byte, 0, j-start+16)
	buf = append(buf, d.b[start:j]...)
	for j < len(d.b) {
		c := d.b[j]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return nil, false
			}
			d.i = j + 1
			return string(buf), true
		case c < 0x20:
			return nil, false
		case c != '\\':
			buf = append(buf, c)
			j++
			continue
		}
		if j+1 >= len(d.b) {
			return nil, false
		}
		switch e := d.b[j+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(d.b[j+2:])
			if !ok {
				return nil, false
			}
			if utf16.IsSurrogate(r) {
				lo, ok := hex4(d.b[min(j+8, len(d.b)):])
				if !ok || d.b[j+6] != '\\' || d.b[j+7] != 'u' {
					return nil, false
				}
				if r = utf16.DecodeRune(r, lo); r == utf8.RuneError {
					return nil, false
				}
				j += 6
			}
			buf = utf8.AppendRune(buf, r)
			j += 4
		default:
			return nil, false
		}
		j += 2
	}
	return nil, false
}

// hex4 reads the four hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
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
