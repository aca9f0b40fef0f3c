package console

import (
	"net/url"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/jieda/jieda/answer"
)

// queueLimit is how many handoffs the queue shows.
const queueLimit = 200

// queueView is the queue page's data.
type queueView struct {
	KBs     []string
	Reasons []answer.HandoffReason
	// The filters: KB, Reason and Status ("open" or "resolved").
	KB, Reason, Status string
	Rows               []answer.Handoff
	// More says the queue holds more than the rows shown.
	More bool
	// RowsURL reloads the rows with the same filters (live updates).
	RowsURL string
	// Me is the signed-in key's id (claims of one's own read "you").
	Me string
}

// queue is the agents' handoff queue: highest priority, then oldest.
func (con *Console) queue(r *request) error {
	qv, err := con.queueData(r)
	if err != nil {
		return err
	}
	v := r.view("queue.title", "queue", qv)
	if qv.Status == string(answer.HandoffOpen) {
		v.TitleCount = len(qv.Rows)
	}
	return r.render(fiber.StatusOK, "queue", v)
}

// queueRows is the queue's rows alone, for the live reload.
func (con *Console) queueRows(r *request) error {
	qv, err := con.queueData(r)
	if err != nil {
		return err
	}
	return r.fragment(fiber.StatusOK, "queue", "rows", r.view("queue.title", "queue", qv))
}

// queueData lists the handoffs the filters and the key's scopes select.
func (con *Console) queueData(r *request) (*queueView, error) {
	e, err := con.engine()
	if err != nil {
		return nil, err
	}
	c := r.c
	qv := &queueView{KB: c.Query("kb"), Reason: c.Query("reason"), Status: cmpOr(c.Query("status"), string(answer.HandoffOpen)), Me: r.p.KeyID,
		Reasons: answer.HandoffReasons}
	if qv.Reason != "" && !slices.Contains(answer.HandoffReasons, answer.HandoffReason(qv.Reason)) {
		return nil, badInput("err.filter.reason")
	}
	if qv.Status != string(answer.HandoffOpen) && qv.Status != string(answer.HandoffResolved) {
		return nil, badInput("err.filter.status")
	}
	ctx := c.UserContext()
	q := answer.HandoffQuery{Status: answer.HandoffStatus(qv.Status), Reason: answer.HandoffReason(qv.Reason), Limit: queueLimit}
	if q.KBs, err = r.p.ListKBs(qv.KB); err != nil {
		return nil, err
	}
	page, err := e.Handoffs.List(ctx, q)
	if err != nil {
		return nil, err
	}
	qv.Rows, qv.More = page.Handoffs, page.Next != ""
	if qv.KBs, err = r.kbs(); err != nil {
		return nil, err
	}
	f := url.Values{}
	for k, v := range map[string]string{"kb": qv.KB, "reason": qv.Reason, "status": qv.Status} {
		if v != "" {
			f.Set(k, v)
		}
	}
	qv.RowsURL = "/console/handoffs/rows?" + f.Encode()
	return qv, nil
}

// kbs are the knowledge bases the signed-in key may use.
func (r *request) kbs() ([]string, error) {
	e, err := r.con.engine()
	if err != nil {
		return nil, err
	}
	names, err := e.Settings.List(r.c.UserContext())
	if err != nil {
		return nil, err
	}
	return r.p.Visible(names), nil
}
