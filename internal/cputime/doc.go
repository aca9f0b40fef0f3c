// Package cputime reads the process's CPU time, the figure benchmarks
// report beside wall time: on a shared machine it counts only this
// process's work.
package cputime
