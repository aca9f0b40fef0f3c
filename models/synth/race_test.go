//go:build race

package synth

// raceEnabled reports a -race build, where timings mean nothing.
const raceEnabled = true
