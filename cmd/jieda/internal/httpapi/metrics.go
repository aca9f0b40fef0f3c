package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jieda/jieda/answer"
	"github.com/jieda/jieda/embed"
)

// metrics are the server's Prometheus metrics, on a registry of its own
// (so tests can build several servers in one process).
type metrics struct {
	reg       *prometheus.Registry
	latency   *prometheus.HistogramVec
	decisions *prometheus.CounterVec
	handoffs  *prometheus.CounterVec
	batches   *prometheus.HistogramVec
	inflight  prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jieda_http_request_duration_seconds",
			Help:    "HTTP request latency by route, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .015, .025, .04, .06, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jieda_decisions_total",
			Help: "Questions by decision (answer, clarify, handoff) and handoff reason.",
		}, []string{"decision", "reason"}),
		handoffs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jieda_handoffs_total",
			Help: "Handoffs by API key id and outcome: created, continued (the conversation's open handoff took the question), refused (the key's answer.handoffs_per_minute was spent).",
		}, []string{"key", "outcome"}),
		batches: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jieda_embed_batch_size",
			Help:    "Texts per model run, by pool (live questions, bulk passages).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}, []string{"pool"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jieda_http_requests_in_flight",
			Help: "Requests being served.",
		}),
	}
	m.reg.MustRegister(m.latency, m.decisions, m.handoffs, m.batches, m.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every reason is present from the start, so rates work before the first handoff.
	for _, r := range answer.HandoffReasons {
		m.decisions.WithLabelValues(string(answer.DecisionHandoff), string(r))
	}
	m.decisions.WithLabelValues(string(answer.DecisionAnswer), "")
	m.decisions.WithLabelValues(string(answer.DecisionClarify), "")
	return m
}

// middleware times each request under its route pattern (not its raw
// path, which would explode the label set).
func (m *metrics) middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		m.inflight.Inc()
		defer m.inflight.Dec()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			if ae, _ := apiErrorOf(err); ae != nil {
				status = ae.Status
			}
		}
		// fiber's strings alias reused buffers: labels must own theirs.
		route := strings.Clone(c.Route().Path)
		if route == "/" && c.Path() != "/" {
			route = "unmatched"
		}
		m.latency.WithLabelValues(route, strings.Clone(c.Method()), strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		return err
	}
}

func (m *metrics) decision(r *answer.AskResponse) {
	reason := ""
	if r.Handoff != nil {
		reason = string(r.Handoff.Reason)
	}
	m.decisions.WithLabelValues(string(r.Decision), reason).Inc()
}

// handoff counts one handoff outcome of a key's question.
func (m *metrics) handoff(key, outcome string) {
	m.handoffs.WithLabelValues(strings.Clone(key), outcome).Inc()
}

// observeEmbedder records the embedder's batch sizes.
func (m *metrics) observeEmbedder(e *embed.Embedder) {
	e.ObserveBatches(func(pool string, size int) {
		m.batches.WithLabelValues(pool).Observe(float64(size))
	})
}

func (m *metrics) httpHandler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) handler() fiber.Handler { return adaptor.HTTPHandler(m.httpHandler()) }
