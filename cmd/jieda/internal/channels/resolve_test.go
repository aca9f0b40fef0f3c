package channels

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate/intake"
)

func TestPairExchange(t *testing.T) {
	at := func(s int) time.Time { return time.Date(2025, 6, 1, 12, 0, s, 0, time.UTC) }
	msg := func(s int, role, text, sender string) Event {
		return Event{Type: EventMessage, Role: role, Text: text, Sender: sender, At: at(s)}
	}
	for _, tc := range []struct {
		name                   string
		msgs                   []Event
		question, reply, agent string
		err                    error
	}{
		{
			name: "handoff, a nudge, the agent's reply",
			msgs: []Event{
				msg(1, answer.RoleCustomer, "我的包裹三天了还没到，是不是丢了", "张三"),
				msg(2, answer.RoleBot, "正在为您转接人工客服，请稍候。", "jieda"),
				msg(3, answer.RoleCustomer, "在吗", "张三"),
				msg(4, answer.RoleAgent, "您好，我帮您查一下", "小王"),
				msg(5, answer.RoleAgent, "暴雨期间包裹暂存在当地网点，道路恢复后次日派送。", "小王"),
			},
			question: "我的包裹三天了还没到，是不是丢了", reply: "暴雨期间包裹暂存在当地网点，道路恢复后次日派送。", agent: "小王",
		},
		{
			name: "the bot answered, no agent",
			msgs: []Event{msg(1, answer.RoleCustomer, "运费怎么算", "张三"), msg(2, answer.RoleBot, "订单满99元包邮。", "jieda")},
			err:  intake.ErrNoExchange,
		},
		{name: "nothing", err: intake.ErrNoExchange},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pairExchange("42", tc.msgs)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := [3]string{tc.question, tc.reply, tc.agent}
			if diff := cmp.Diff(want, [3]string{got.Question, got.Reply, got.Agent}); diff != "" {
				t.Errorf("question, reply, agent (-want +got):\n%s", diff)
			}
		})
	}
}
