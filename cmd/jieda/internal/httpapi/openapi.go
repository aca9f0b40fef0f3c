package httpapi

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIDocument describes the /v1 API (OpenAPI 3.1).
//
//go:embed openapi.json
var openAPIDocument []byte

func openAPIHandler(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openAPIDocument)
}

// OpenAPIDocument is the OpenAPI description of the API (a copy).
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }
