package awsfake

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Experiment states, as FIS names them.
const (
	ExperimentInitiating = "initiating"
	ExperimentRunning    = "running"
	ExperimentCompleted  = "completed"
	ExperimentStopping   = "stopping"
	ExperimentStopped    = "stopped"
)

// ExperimentTemplate is a FIS experiment template. OnStart runs when an
// experiment of it starts running and OnStop when it ends (stopped or
// completed), so a test can make the experiment's actions happen; both run
// with the fake's lock released.
type ExperimentTemplate struct {
	ID, Region string
	Tags       map[string]string
	// Runs is how many GetExperiment calls an experiment stays running
	// before it completes by itself; zero means until stopped.
	Runs            int
	OnStart, OnStop func()
}

// Experiment is one run of a template.
type Experiment struct {
	ID, TemplateID, Region, Status string
	Start, End                     time.Time
	ticks, runs                    int
}

// AddExperimentTemplate registers a template.
func (c *Cloud) AddExperimentTemplate(t ExperimentTemplate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.templates[t.ID] = &t
}

// Experiments returns copies of a template's experiments.
func (c *Cloud) Experiments(template string) []Experiment {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Experiment
	for _, e := range c.experiments {
		if e.TemplateID == template {
			out = append(out, *e)
		}
	}
	return out
}

type experimentDoc struct {
	ID                   string         `json:"id"`
	Arn                  string         `json:"arn"`
	ExperimentTemplateID string         `json:"experimentTemplateId"`
	State                map[string]any `json:"state"`
	StartTime            float64        `json:"startTime"`
	EndTime              *float64       `json:"endTime,omitempty"`
}

func (c *Cloud) fis(region, action string, r *http.Request, body []byte) (any, *apiError) {
	id := strings.TrimPrefix(r.URL.Path, "/experiments/")
	switch action {
	case "StartExperiment":
		var req struct {
			ClientToken          string `json:"clientToken"`
			ExperimentTemplateID string `json:"experimentTemplateId"`
		}
		if err := json.Unmarshal(body, &req); err != nil || req.ExperimentTemplateID == "" || req.ClientToken == "" {
			return nil, errorf(http.StatusBadRequest, "ValidationException", "experimentTemplateId and clientToken are required")
		}
		t := c.templates[req.ExperimentTemplateID]
		if t == nil || t.Region != region {
			return nil, errorf(http.StatusNotFound, "ResourceNotFoundException", "Experiment template %s not found.", req.ExperimentTemplateID)
		}
		for _, e := range c.experiments {
			if e.TemplateID == t.ID && (e.Status == ExperimentInitiating || e.Status == ExperimentRunning) {
				return nil, errorf(http.StatusConflict, "ConflictException", "Experiment template %s already has a running experiment (%s).", t.ID, e.ID)
			}
		}
		e := &Experiment{ID: "EXP" + strings.ToUpper(newID("", 14)), TemplateID: t.ID, Region: region, Status: ExperimentInitiating, Start: time.Now()}
		c.experiments[e.ID] = e
		return map[string]any{"experiment": c.experimentDoc(e)}, nil
	case "ListExperimentTemplates":
		// one page of the region's templates (the service pages by nextToken)
		list := []map[string]any{}
		for _, t := range c.templates {
			if t.Region == region {
				list = append(list, map[string]any{"id": t.ID, "description": "fake", "tags": t.Tags})
			}
		}
		return map[string]any{"experimentTemplates": list}, nil
	case "GetExperiment", "StopExperiment":
		e := c.experiments[id]
		if e == nil || e.Region != region {
			return nil, errorf(http.StatusNotFound, "ResourceNotFoundException", "Experiment %s not found.", id)
		}
		if action == "StopExperiment" {
			if e.Status != ExperimentInitiating && e.Status != ExperimentRunning {
				return nil, errorf(http.StatusConflict, "ConflictException", "Experiment %s is %s.", id, e.Status)
			}
			e.Status, e.ticks = ExperimentStopping, 0
		} else {
			c.advanceExperiment(e)
		}
		return map[string]any{"experiment": c.experimentDoc(e)}, nil
	}
	return nil, errorf(http.StatusNotFound, "UnknownOperationException", "The fake does not serve %s.", action)
}

// advanceExperiment moves an experiment on: initiating, running (its
// template's OnStart), then completed or stopped (OnStop).
func (c *Cloud) advanceExperiment(e *Experiment) {
	t := c.templates[e.TemplateID]
	hook := func(fn func()) {
		if fn != nil {
			c.mu.Unlock()
			defer c.mu.Lock()
			fn()
		}
	}
	switch e.Status {
	case ExperimentInitiating:
		if e.ticks++; e.ticks >= c.ticks() {
			e.Status = ExperimentRunning
			hook(t.OnStart)
		}
	case ExperimentRunning:
		if e.runs++; t.Runs > 0 && e.runs >= t.Runs {
			e.Status, e.End = ExperimentCompleted, time.Now()
			hook(t.OnStop)
		}
	case ExperimentStopping:
		if e.ticks++; e.ticks >= c.ticks() {
			e.Status, e.End = ExperimentStopped, time.Now()
			hook(t.OnStop)
		}
	}
}

func (c *Cloud) experimentDoc(e *Experiment) experimentDoc {
	d := experimentDoc{ID: e.ID, ExperimentTemplateID: e.TemplateID, StartTime: epochSeconds(e.Start),
		Arn:   "arn:aws:fis:" + e.Region + ":" + Account + ":experiment/" + e.ID,
		State: map[string]any{"status": e.Status, "reason": "Experiment is " + e.Status + "."}}
	if !e.End.IsZero() {
		end := epochSeconds(e.End)
		d.EndTime = &end
	}
	return d
}
