package console

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// playgroundView is the playground's data: the question as a customer
// would ask it, and what jieda would do, explained.
type playgroundView struct {
	KB     string
	KBs    []string
	Q      string
	Locale string
	// Turns is the conversation before the question, "customer: …" or
	// "bot: …" per line.
	Turns  string
	Asked  bool
	Resp   *answer.AskResponse
	Trace  *answer.Trace
	Th     answer.Thresholds
	Cat    string
	Why    []answer.Contribution
	Picker *picker
}

// playground asks a question without side effects and shows the
// decision, its reason, the confidence against the thresholds, the
// candidates and the features behind the confidence.
func (con *Console) playground(r *request) error {
	kb, kbs, err := r.editorKB()
	if err != nil {
		return err
	}
	e, _ := con.engine()
	c := r.c
	pv := &playgroundView{KB: kb, KBs: kbs, Q: strings.TrimSpace(c.Query("q")), Locale: strings.TrimSpace(c.Query("locale")), Turns: c.Query("turns")}
	if pv.Q != "" {
		req := answer.AskRequest{KB: kb, Question: pv.Q, Locale: pv.Locale}
		if ts := turnsOf(pv.Turns); len(ts) > 0 {
			req.Conversation = &answer.Conversation{Turns: ts}
		}
		ctx := c.UserContext()
		if pv.Resp, pv.Trace, err = e.Preview(ctx, req); err != nil {
			return err
		}
		pv.Asked = true
		st, _, err := e.Settings.Get(ctx, kb)
		if err != nil {
			return err
		}
		if len(pv.Trace.Candidates) > 0 {
			pv.Cat = pv.Trace.Candidates[0].Category
		}
		pv.Th = st.ThresholdsFor(pv.Cat)
		pv.Why = st.CalibrationOrDefault().Contributions(pv.Trace.Features)
		if pv.Picker, err = r.picker(kb, "article_id", "play-picker", pv.Q); err != nil {
			return err
		}
	}
	return r.render(fiber.StatusOK, "playground", r.view("play.title", "playground", pv))
}

// turnsOf reads "customer: …" / "bot: …" lines (a line without a role is
// the customer's).
func turnsOf(s string) []answer.Turn {
	var out []answer.Turn
	for _, l := range lines(s) {
		role, text := answer.RoleCustomer, l
		if k, v, ok := strings.Cut(l, ":"); ok {
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "bot", "jieda":
				role, text = answer.RoleBot, strings.TrimSpace(v)
			case "customer", "顾客", "客户":
				text = strings.TrimSpace(v)
			case "agent", "客服":
				role, text = answer.RoleAgent, strings.TrimSpace(v)
			}
		}
		out = append(out, answer.Turn{Role: role, Text: text})
	}
	return out
}

// addVariant adds the playground's question to the right article.
func (con *Console) addVariant(r *request) error {
	kb, _, err := r.editorKB()
	if err != nil {
		return err
	}
	c := r.c
	id, q := strings.TrimSpace(c.FormValue("article_id")), strings.TrimSpace(c.FormValue("question"))
	if id == "" {
		return badInput("err.merge.article")
	}
	if q == "" {
		return badInput("err.variants.none")
	}
	if err := r.addVariants(kb, id, []string{q}, "playground"); err != nil {
		return err
	}
	return c.Redirect("/console/playground?kb="+urlq(kb)+"&q="+urlq(q)+"&msg=variant", fiber.StatusSeeOther)
}
