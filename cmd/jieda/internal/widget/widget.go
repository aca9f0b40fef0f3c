package widget

import (
	"crypto/sha256"
	_ "embed" // widget.js
	"encoding/hex"

	"github.com/gofiber/fiber/v2"
)

// Path is the widget's route.
const Path = "/widget.js"

//go:embed widget.js
var script []byte

// etag is the script's strong validator.
var etag = func() string {
	sum := sha256.Sum256(script)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}()

// Script returns the embedded widget.js.
func Script() []byte { return script }

// Handler serves widget.js: JavaScript, cacheable for five minutes,
// revalidated by its ETag.
func Handler(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderETag, etag)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(script)
}
