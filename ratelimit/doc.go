// Package ratelimit is the token buckets behind jieda's limits: API keys'
// requests, widget client addresses and handoffs per key. Buckets live in
// one process: with several replicas each enforces its own (the README's
// Scaling section says so).
package ratelimit
