package main

import (
	"strings"
	"testing"

	"github.com/jieda/jieda/cmd/jieda/internal/apikey"
)

// A conversation belongs to the key and customer that started it: another
// key (or another customer of the same key) reusing its id starts its
// own, and never sees the first one's turns; the earlier question a reply
// shows is scrubbed; jieda issues unguessable ids on request.
func TestConversationsBelongToTheirCustomer(t *testing.T) {
	s := startServer(t, nil)
	editor, _ := s.newKey(t, apikey.RoleEditor)
	importTestKB(t, s, editor, "shop")
	first, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	foreign, _ := s.newKey(t, apikey.RoleCustomer, "shop")
	const phone = "13800001111"
	conv := map[string]any{"id": "c-1001"}
	who := map[string]any{"id": "u1"}
	ask(t, s, first, map[string]any{"kb": "shop", "question": "转人工，我的手机" + phone, "conversation": conv, "customer": who})

	// Its owner's follow-up reads the earlier turn, shown scrubbed.
	r := ask(t, s, first, map[string]any{"kb": "shop", "question": "那运费呢", "conversation": conv, "customer": who})
	ctx, _ := r.body["context"].(map[string]any)
	prev, _ := ctx["previous_question"].(string)
	if !strings.HasPrefix(prev, "转人工") || strings.Contains(r.raw, phone) {
		t.Errorf("the owner's follow-up: %s; want the earlier question, scrubbed", r.raw)
	}
	// Another key, or another customer of the same key, with the same id.
	for name, req := range map[string]struct {
		key      string
		customer map[string]any
	}{"another key": {foreign, who}, "another customer": {first, map[string]any{"id": "u2"}}, "no customer": {first, nil}} {
		body := map[string]any{"kb": "shop", "question": "那运费呢", "conversation": conv}
		if req.customer != nil {
			body["customer"] = req.customer
		}
		r := ask(t, s, req.key, body)
		if r.status != 200 || r.body["context"] != nil || strings.Contains(r.raw, "转人工") || r.body["conversation_id"] != "c-1001" {
			t.Errorf("%s reusing c-1001: %d %s; want its own conversation, none of the first one's turns", name, r.status, r.raw)
		}
	}
	// The first conversation is untouched by the others' turns.
	r = ask(t, s, first, map[string]any{"kb": "shop", "question": "那退货呢", "conversation": conv, "customer": who})
	if ctx, _ := r.body["context"].(map[string]any); ctx == nil || ctx["previous_question"] != "那运费呢" {
		t.Errorf("the owner's third turn: %s; want its own second question as the previous one", r.raw)
	}

	// A conversation without id gets an unguessable one, remembered for its owner only.
	r = ask(t, s, foreign, map[string]any{"kb": "shop", "question": "可以寄到香港吗", "conversation": map[string]any{}})
	id, _ := r.body["conversation_id"].(string)
	if !strings.HasPrefix(id, "cv-") || len(id) != len("cv-")+36 {
		t.Fatalf("conversation without id: %s; want an issued cv-<uuid>", r.raw)
	}
	r = ask(t, s, foreign, map[string]any{"kb": "shop", "question": "那运费呢", "conversation": map[string]any{"id": id}})
	if ctx, _ := r.body["context"].(map[string]any); ctx == nil || ctx["previous_question"] != "可以寄到香港吗" {
		t.Errorf("follow-up in the issued conversation: %s", r.raw)
	}
	r = ask(t, s, first, map[string]any{"kb": "shop", "question": "那运费呢", "conversation": map[string]any{"id": id}})
	if r.body["context"] != nil {
		t.Errorf("another key with the issued id: %s; want no context", r.raw)
	}
}
