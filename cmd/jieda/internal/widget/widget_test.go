package widget

import (
	"io"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The script stays small and self-contained: no URL of anyone but the
// jieda it came from, no imports, fonts or images from elsewhere.
func TestScriptSelfContained(t *testing.T) {
	js := string(Script())
	if n := len(js); n > 30*1024 {
		t.Errorf("widget.js is %d bytes, want at most 30 KiB", n)
	}
	body := js[strings.Index(js, "*/")+2:] // after the usage comment
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`https?://`), regexp.MustCompile(`//[a-z0-9.-]+\.[a-z]{2,}/`), regexp.MustCompile(`@import|url\(`),
		regexp.MustCompile(`\bimport\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon|new Image`), regexp.MustCompile(`<script|<link|<iframe`),
		regexp.MustCompile(`\beval\(|new Function`), regexp.MustCompile(`localStorage|document\.cookie`),
	} {
		if m := bad.FindString(body); m != "" {
			t.Errorf("widget.js contains %q", m)
		}
	}
	for _, must := range []string{"attachShadow", `role: "dialog"`, `role: "log"`, `"aria-live"`, "Escape", "@media (max-width:480px)", "sessionStorage", `credentials: "omit"`} {
		if !strings.Contains(js, must) {
			t.Errorf("widget.js lacks %s", must)
		}
	}
}

func TestHandler(t *testing.T) {
	app := fiber.New()
	app.Get(Path, Handler)
	resp, err := app.Test(httptest.NewRequest("GET", Path, nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(Script()) {
		t.Fatalf("GET %s: %d, %d bytes", Path, resp.StatusCode, len(body))
	}
	for h, want := range map[string]string{
		"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300",
		"X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "cross-origin",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	req := httptest.NewRequest("GET", Path, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	again, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	_ = again.Body.Close()
	if again.StatusCode != 304 || resp.Header.Get("ETag") == "" {
		t.Errorf("revalidation: %d (ETag %q), want 304", again.StatusCode, resp.Header.Get("ETag"))
	}
}
