package console

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/cmd/jieda/internal/authz"
	"github.com/jieda/jieda/curate"
)

func TestHumanOf(t *testing.T) {
	type got struct {
		Status   int
		What, Do string
		Detail   bool
		Fault    bool
	}
	p := &authz.Principal{KeyID: "k", KBs: []string{"a"}}
	for _, tc := range []struct {
		err  error
		want got
	}{
		{fmt.Errorf("loading: %w", answer.ErrHandoffClaimed), got{409, "err.handoff.claimed", "err.handoff.claimed.do", true, false}},
		{p.UseKB("b"), got{403, "err.forbidden", "err.forbidden.do", true, false}},
		{curate.ErrNoRevisions, got{404, "err.revision.notfound", "err.revision.notfound.do", true, false}},
		{answer.ErrArticleNotFound, got{404, "err.article.notfound", "err.article.notfound.do", true, false}},
		{badInput("err.reply.empty"), got{400, "err.reply.empty", "err.input.do", false, false}},
		{ErrNotReady, got{503, "err.notready", "err.notready.do", false, true}},
		{errors.New("disk on fire"), got{500, "err.internal", "err.internal.do", false, true}},
	} {
		he, fault := humanOf(tc.err)
		g := got{he.Status, he.What, he.Do, he.Detail != "", fault}
		if diff := cmp.Diff(tc.want, g); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.err, diff)
		}
	}
}
