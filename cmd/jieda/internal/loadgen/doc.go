// Package loadgen drives /v1/ask with many clients, closed-loop or paced
// (latency counted from each scheduled send, so a slow answer hides no
// measurement), reads the live embed batch counters from /metrics, and
// writes CPU, mutex and block profiles of a phase. jieda bench ask uses it.
package loadgen
