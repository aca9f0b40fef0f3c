package curate

import (
	"context"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/curate/intake"
)

// Resolved is a handoff an agent resolved and what curation made of the reply.
type Resolved struct {
	Handoff answer.Handoff `json:"handoff"`
	// Curation is the intake report of the reply; nil when CurationErr is set.
	Curation *IntakeReport `json:"curation,omitempty"`
	// CurationErr says why the reply could not be taken in; the handoff
	// is resolved all the same (the reply can be imported later).
	CurationErr error `json:"-"`
}

// ResolveHandoff closes handoff id with the agent's resolution (waking
// the webhook deliverer) and takes the reply in as a knowledge candidate,
// or counts it as dropped. A failure to curate does not undo the
// resolution: it is reported in CurationErr, so the agent is not told to
// retry into ErrHandoffResolved.
func (c *Curator) ResolveHandoff(ctx context.Context, id string, r answer.Resolution) (Resolved, error) {
	ho, err := c.eng.ResolveHandoff(ctx, id, r)
	if err != nil {
		return Resolved{}, err
	}
	out := Resolved{Handoff: ho}
	rep, err := c.Intake(ctx, ho.KB, []intake.Resolved{{
		Question: ho.Question, Reply: r.Reply, Agent: r.Agent, CSAT: r.CSAT, Reusable: r.Reusable,
		Ticket: "handoff:" + ho.ID, ResolvedAt: ho.Resolution.ResolvedAt,
	}}, Source{Name: "handoff", HandoffID: ho.ID})
	if err != nil {
		c.logger.Error("curating a resolved handoff's reply", "handoff", ho.ID, "err", err)
		out.CurationErr = err
		return out, nil
	}
	out.Curation = &rep
	return out, nil
}
