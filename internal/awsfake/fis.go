package awsfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
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

// ExperimentTemplate is a FIS experiment template of a region. OnStart
// runs when an experiment of it starts running and OnStop when it ends
// (stopped or completed), so a test can make the experiment's actions
// happen; both run with the fake's lock released, at the moment on the
// fake's clock the experiment moves, and anyone who reads the experiment
// meanwhile waits for them.
type ExperimentTemplate struct {
	ID, Region string
	Tags       map[string]string
	// Duration is how long the template's action runs (its duration
	// parameter, say PT10M) before the experiment completes by itself;
	// zero means until stopped.
	Duration        time.Duration
	OnStart, OnStop func()
}

// Experiment is one run of a template. Its Status follows from time: it
// is initiating for Timings.ExperimentStart, then running for its
// template's Duration (or until stopped), then completed; once stopped it
// is stopping for Timings.ExperimentStart (the fake's choice: FIS names no
// time for it), then stopped.
type Experiment struct {
	ID, TemplateID, Region, Status string
	Start, End                     time.Time
	stopAt                         time.Time
	token                          string
	hook                           chan struct{} // closed when a running hook returns
}

// AddExperimentTemplate registers a template in its region.
func (c *Cloud) AddExperimentTemplate(t ExperimentTemplate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.templates[t.Region] == nil {
		c.templates[t.Region] = map[string]*ExperimentTemplate{}
	}
	c.templates[t.Region][t.ID] = &t
}

// Experiments returns copies of a template's experiments, as they are now.
func (c *Cloud) Experiments(template string) []Experiment {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Experiment
	for _, region := range sortedKeys(c.experiments) {
		for _, id := range sortedKeys(c.experiments[region]) {
			if e := c.experiments[region][id]; e.TemplateID == template {
				c.advanceExperiment(e)
				out = append(out, Experiment{ID: e.ID, TemplateID: e.TemplateID, Region: e.Region, Status: e.Status, Start: e.Start, End: e.End})
			}
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

// actionsModes are the values StartExperiment's experimentOptions.actionsMode takes
// (https://docs.aws.amazon.com/fis/latest/APIReference/API_StartExperimentExperimentOptionsInput.html).
var actionsModes = []string{"skip-all", "run-all"}

func validation(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, "ValidationException", format, args...)
}

// fis serves the FIS actions the runbooks call
// (https://docs.aws.amazon.com/fis/latest/APIReference/Welcome.html).
func (c *Cloud) fis(region, action string, r *http.Request, body []byte) (any, *apiError) {
	id := strings.TrimPrefix(r.URL.Path, "/experiments/")
	switch action {
	case "StartExperiment":
		// experimentTemplateId and clientToken are required; a retry with
		// the same clientToken is the same request and gets the same
		// experiment back
		// (https://docs.aws.amazon.com/fis/latest/APIReference/API_StartExperiment.html)
		var req struct {
			ClientToken          string            `json:"clientToken"`
			ExperimentTemplateID string            `json:"experimentTemplateId"`
			Tags                 map[string]string `json:"tags"`
			Options              *struct {
				ActionsMode string `json:"actionsMode"`
			} `json:"experimentOptions"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, validation("%v", err)
		}
		if req.ExperimentTemplateID == "" || req.ClientToken == "" {
			return nil, validation("experimentTemplateId and clientToken are required")
		}
		if len(req.ClientToken) > 64 {
			return nil, validation("1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must have length less than or equal to 64")
		}
		if o := req.Options; o != nil && o.ActionsMode != "" && !slices.Contains(actionsModes, o.ActionsMode) {
			return nil, validation("1 validation error detected: Value '%s' at 'experimentOptions.actionsMode' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
				o.ActionsMode, strings.Join(actionsModes, ", "))
		}
		t := c.templates[region][req.ExperimentTemplateID]
		if t == nil {
			return nil, errorf(http.StatusNotFound, "ResourceNotFoundException", "Experiment template %s not found.", req.ExperimentTemplateID)
		}
		// (by a snapshot of the IDs: advancing may release the lock for a hook)
		for _, eid := range sortedKeys(c.experiments[region]) {
			if e := c.experiments[region][eid]; e.token == req.ClientToken && e.TemplateID == t.ID {
				c.advanceExperiment(e)
				return map[string]any{"experiment": c.experimentDoc(e)}, nil
			}
		}
		for _, eid := range sortedKeys(c.experiments[region]) {
			e := c.experiments[region][eid]
			if c.advanceExperiment(e); e.TemplateID == t.ID && (e.Status == ExperimentInitiating || e.Status == ExperimentRunning) {
				return nil, errorf(http.StatusConflict, "ConflictException", "Experiment template %s already has a running experiment (%s).", t.ID, e.ID)
			}
		}
		e := &Experiment{ID: "EXP" + strings.ToUpper(newID("", 14)), TemplateID: t.ID, Region: region, Status: ExperimentInitiating, Start: c.now(), token: req.ClientToken}
		if c.experiments[region] == nil {
			c.experiments[region] = map[string]*Experiment{}
		}
		c.experiments[region][e.ID] = e
		go c.followExperiment(e)
		return map[string]any{"experiment": c.experimentDoc(e)}, nil
	case "ListExperimentTemplates":
		// pages of maxResults (1 to 100; the reference states no default,
		// the fake takes 100), continued by nextToken
		// (https://docs.aws.amazon.com/fis/latest/APIReference/API_ListExperimentTemplates.html)
		size := 0
		if v := r.URL.Query().Get("maxResults"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100 {
				return nil, validation("1 validation error detected: Value '%s' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", v)
			}
			size = n
		}
		ids := sortedKeys(c.templates[region])
		fp := fingerprint(region)
		from, ok := pageFrom(r.URL.Query().Get("nextToken"), fp, len(ids))
		if !ok {
			return nil, validation("The nextToken %q is not valid.", r.URL.Query().Get("nextToken"))
		}
		to, next := cut(len(ids), from, c.pageSize(size, 100), fp)
		list := []map[string]any{}
		for _, tid := range ids[from:to] {
			t := c.templates[region][tid]
			list = append(list, map[string]any{"id": t.ID, "description": "fake", "tags": t.Tags,
				"arn": "arn:aws:fis:" + region + ":" + Account + ":experiment-template/" + t.ID})
		}
		out := map[string]any{"experimentTemplates": list}
		if next != "" {
			out["nextToken"] = next
		}
		return out, nil
	case "GetExperiment", "StopExperiment":
		e := c.experiments[region][id]
		if e == nil {
			return nil, errorf(http.StatusNotFound, "ResourceNotFoundException", "Experiment %s not found.", id)
		}
		c.advanceExperiment(e)
		if action == "StopExperiment" {
			if e.Status != ExperimentInitiating && e.Status != ExperimentRunning {
				return nil, errorf(http.StatusConflict, "ConflictException", "Experiment %s is %s.", id, e.Status)
			}
			e.Status, e.stopAt = ExperimentStopping, c.now()
			go c.followExperiment(e)
		}
		return map[string]any{"experiment": c.experimentDoc(e)}, nil
	}
	return nil, errorf(http.StatusNotFound, "UnknownOperationException", "The fake does not serve %s.", action)
}

// due is an experiment's next move: the status it takes and when; ok is
// false when it has ended or runs until stopped.
func (c *Cloud) due(e *Experiment) (status string, at time.Time, ok bool) {
	t := c.timings()
	switch e.Status {
	case ExperimentInitiating:
		return ExperimentRunning, e.Start.Add(t.ExperimentStart), true
	case ExperimentRunning:
		if tpl := c.templates[e.Region][e.TemplateID]; tpl != nil && tpl.Duration > 0 {
			return ExperimentCompleted, e.Start.Add(t.ExperimentStart + tpl.Duration), true
		}
	case ExperimentStopping:
		return ExperimentStopped, e.stopAt.Add(t.ExperimentStart), true
	}
	return "", time.Time{}, false
}

// advanceExperiment moves an experiment to the state its times call for
// (with c.mu held), running its template's hooks as it passes them, with
// the lock released; a caller that finds a hook running waits for it, so
// no one sees an experiment running before its OnStart has returned.
func (c *Cloud) advanceExperiment(e *Experiment) {
	for range 4 { // initiating, running, stopping: three moves at most
		for e.hook != nil {
			done := e.hook
			c.mu.Unlock()
			<-done
			c.mu.Lock()
		}
		status, at, ok := c.due(e)
		if !ok || c.now().Before(at) {
			return
		}
		e.Status = status
		tpl := c.templates[e.Region][e.TemplateID]
		var hook func()
		switch status {
		case ExperimentRunning:
			hook = tpl.OnStart
		case ExperimentCompleted, ExperimentStopped:
			e.End, hook = at, tpl.OnStop
		}
		if hook != nil {
			done := make(chan struct{})
			e.hook = done
			c.mu.Unlock()
			hook()
			c.mu.Lock()
			e.hook = nil
			close(done)
		}
	}
}

// followExperiment moves an experiment at the times its states end, so
// its hooks run on time whether or not anyone reads it; it ends with the
// experiment, when it waits for a stop, or with Close.
func (c *Cloud) followExperiment(e *Experiment) {
	for range 4 {
		c.mu.Lock()
		_, at, ok := c.due(e)
		clk := c.clock()
		c.mu.Unlock()
		if !ok {
			return
		}
		if clk.Sleep(c.background, at.Sub(clk.Now())) != nil {
			return
		}
		c.mu.Lock()
		c.advanceExperiment(e)
		c.mu.Unlock()
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
