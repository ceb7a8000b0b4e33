// Package steps records the steps of a long operation (a drill, a region
// rebuild) as it runs: each step's name, start, end, detail and error
// (Step), and a progress line before and after it (Run). Drill reports and
// recreate-region print and render what it recorded.
//
// It is not a scheduler or a workflow engine: steps run in the caller's
// order, one at a time; a failed step does not stop the caller, and
// nothing is retried, persisted or resumed here.
package steps
