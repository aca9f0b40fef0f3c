package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserClicks proves the harness: a page on a loopback server is
// loaded, a button is clicked, the script's change is seen and captured.
func TestBrowserClicks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>t</title><button id=b onclick="document.getElementById('out').textContent='点击了'">go</button><p id=out></p>`)
	}))
	defer srv.Close()
	ctx := New(t, Options{})
	var got string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL),
		chromedp.Click("#b", chromedp.ByQuery),
		chromedp.WaitVisible("#out", chromedp.ByQuery),
		chromedp.Text("#out", &got, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if got != "点击了" {
		t.Errorf("text after the click = %q", got)
	}
	path := Screenshot(t, ctx, "clicked")
	if fi, err := os.Stat(path); err != nil || fi.Size() < 100 {
		t.Errorf("screenshot %s: %v", path, err)
	}
}
