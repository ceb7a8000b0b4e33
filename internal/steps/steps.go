package steps

import (
	"fmt"
	"time"
)

// Step is one step, with its timing.
type Step struct {
	Name   string    `json:"name"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Detail string    `json:"detail,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// Duration is how long the step took.
func (s Step) Duration() time.Duration { return s.End.Sub(s.Start) }

// Run runs fn as the step name, appends it to into, and reports "name..."
// before and "name: detail (took)" after to progress; it returns fn's error.
func Run(into *[]Step, progress func(string), name string, fn func() (string, error)) error {
	s := Step{Name: name, Start: time.Now()}
	progress(name + "...")
	detail, err := fn()
	s.End, s.Detail = time.Now(), detail
	if err != nil {
		s.Error = err.Error()
	}
	*into = append(*into, s)
	progress(fmt.Sprintf("%s: %s (%s)", name, orDone(detail, err), s.Duration().Round(time.Millisecond)))
	return err
}

func orDone(detail string, err error) string {
	if err != nil {
		return "failed: " + err.Error()
	}
	if detail == "" {
		return "done"
	}
	return detail
}
