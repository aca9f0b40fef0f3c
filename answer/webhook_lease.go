package answer

import (
	"context"
	"time"

	"github.com/jieda/jieda/index"
)

// deliveryLease names the lease a deliverer takes on a handoff or a queued
// event before an attempt: replicas sharing a store scan the same due
// deliveries, and the lease lets one of them make each attempt. Writing
// the attempt's outcome (setDelivery, setEventDelivery) ends it.
const deliveryLease = "delivery_lease"

// leaseTTL bounds a delivery lease: two attempts (a handoff's created and
// resolved events back to back) and the writes around them. A replica
// that dies holding one delays that delivery by at most this long.
func (d *WebhookDeliverer) leaseTTL() time.Duration { return 2*d.cfg.Timeout + 10*time.Second }

// takeDelivery leases id in collection for one attempt when it is still
// due (due) and no other deliverer holds it; ok false means another does
// or it is no longer due.
func (d *WebhookDeliverer) takeDelivery(ctx context.Context, collection, id string, due *index.Filter) (index.Lease, bool, error) {
	return index.TakeLease(ctx, d.store.store, collection, id, deliveryLease, []index.Condition{index.Nested(*due)}, d.now(), d.leaseTTL())
}

// waiting selects the deliveries pending or retrying that no deliverer
// holds at now. One another replica holds is its business until its lease
// ends; should that replica die, the next scan (ScanInterval) finds it.
func waiting(now time.Time) *index.Filter {
	return &index.Filter{Must: []index.Condition{
		index.MatchAnyKeyword("delivery_state", string(DeliveryPending), string(DeliveryRetrying)),
		index.LeaseFree(deliveryLease, now),
	}}
}

// dropDelivery ends a lease whose attempt was not made (a shutdown, a read
// error, nothing due after all), on its own short context so that a
// shutdown still releases it.
func (d *WebhookDeliverer) dropDelivery(ctx context.Context, collection, id string, l index.Lease) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := index.ReleaseLease(ctx, d.store.store, collection, id, l); err != nil {
		d.logger.Warn("releasing a webhook delivery lease; it expires on its own", "id", id, "err", err)
	}
}
