package soak

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
)

// receiver is the KB's webhook: it acknowledges every event and counts them.
type receiver struct {
	srv    *http.Server
	url    string
	mu     sync.Mutex
	events int
	seen   map[string]bool // handoff ids delivered
}

func newReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook", seen: map[string]bool{}}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go r.srv.Serve(ln) //nolint:errcheck // ends with close
	return r, nil
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var ev struct {
		Handoff struct {
			ID string `json:"id"`
		} `json:"handoff"`
	}
	_ = json.Unmarshal(body, &ev)
	r.mu.Lock()
	r.events++
	if ev.Handoff.ID != "" {
		r.seen[ev.Handoff.ID] = true
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events
}

func (r *receiver) close() { _ = r.srv.Close() }
