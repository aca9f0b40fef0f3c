package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// client sends the soak's requests and counts their outcomes.
type client struct {
	srv  *Server
	http *http.Client

	mu       sync.Mutex
	requests int
	down     int      // transport errors: the server was down or being killed
	fiveXX   []string // 5xx answers while the server was up
}

func newClient(srv *Server) *client {
	return &client{srv: srv, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
}

// do sends a request and decodes a JSON answer into out (when 2xx). ok is
// false for transport errors (counted as down time) and non-2xx answers.
func (c *client) do(ctx context.Context, method, path, key string, body any, contentType string, out any) (status int, raw []byte, ok bool) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		r = bytes.NewReader(js)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.srv.URL()+path, r)
	if err != nil {
		return 0, nil, false
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	gen, wasUp := c.srv.gen.Load(), c.srv.up.Load()
	resp, err := c.http.Do(req)
	c.mu.Lock()
	c.requests++
	c.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			c.mu.Lock()
			c.down++
			c.mu.Unlock()
			sleep(ctx, 100*time.Millisecond) // the server is down: do not spin
		}
		return 0, nil, false
	}
	defer resp.Body.Close() //nolint:errcheck // read below
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && wasUp && c.srv.up.Load() && c.srv.gen.Load() == gen {
		c.mu.Lock()
		c.fiveXX = append(c.fiveXX, fmt.Sprintf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw)))
		c.mu.Unlock()
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, raw, false
	}
	if out != nil && json.Unmarshal(raw, out) != nil {
		return resp.StatusCode, raw, false
	}
	return resp.StatusCode, raw, true
}
