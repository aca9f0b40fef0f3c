package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// decodeJSON decodes a JSON request body into v, strictly: the body must be
// valid UTF-8 and one JSON value whose fields v knows. Every failure is a
// 400 bad_request (415 for another content type) that says what is wrong.
func decodeJSON(c *fiber.Ctx, v any) error {
	if ct := string(c.Request().Header.ContentType()); ct != "" && !strings.HasPrefix(strings.ToLower(ct), fiber.MIMEApplicationJSON) {
		return newAPIError(fiber.StatusUnsupportedMediaType, codeUnsupportedType, "content type %q: send application/json", ct)
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return errBadRequest("empty request body: send a JSON object")
	}
	if !utf8.Valid(body) {
		return errBadRequest("request body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest("malformed JSON: %s", jsonErrorText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBadRequest("malformed JSON: unexpected data after the JSON value")
	}
	return nil
}

// jsonErrorText describes a decoding error without Go type names.
func jsonErrorText(err error) string {
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Sprintf("field %q has the wrong type (%s)", typ.Field, typ.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}

// intQuery reads an optional integer query parameter within [lo, hi].
func intQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errBadRequest("%s must be an integer in [%d, %d]", name, lo, hi)
	}
	return n, nil
}
