package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// FISTemplates serves a Cloud with what FIS answers of a template's
// contents: GetExperimentTemplate
// (https://docs.aws.amazon.com/fis/latest/APIReference/API_GetExperimentTemplate.html),
// GET /experimentTemplates/{id}, its actions (each an actionId, its
// parameters, the targets it acts on by their kind, such as Instances,
// and the actions it starts after) and its targets (a resource type, the
// tags or ARNs that pick the resources, and a selection mode: ALL,
// COUNT(n), PERCENT(n)). A drill that takes a template it did not make
// reads it to check that it does what the drill says; the Cloud's own
// ExperimentTemplate carries no contents. Every other request goes to
// the Cloud unchanged, so one endpoint serves both.
type FISTemplates struct {
	Cloud *Cloud

	mu     sync.Mutex
	bodies map[string]map[string]TemplateBody // region -> ID
	server *httptest.Server
}

// TemplateBody is an experiment template's contents, as the
// ExperimentTemplate data type names them
// (https://docs.aws.amazon.com/fis/latest/APIReference/API_ExperimentTemplate.html).
type TemplateBody struct {
	Description string
	RoleArn     string
	Actions     map[string]TemplateAction
	Targets     map[string]TemplateTarget
}

// TemplateAction is one action of a template
// (https://docs.aws.amazon.com/fis/latest/APIReference/API_ExperimentTemplateAction.html).
type TemplateAction struct {
	ActionID   string
	Parameters map[string]string
	// Targets name, by the action's target kind (Instances, Tasks,
	// Clusters, ...), the template's target it acts on.
	Targets    map[string]string
	StartAfter []string
}

// TemplateTarget is one target of a template
// (https://docs.aws.amazon.com/fis/latest/APIReference/API_ExperimentTemplateTarget.html).
type TemplateTarget struct {
	ResourceType  string
	ResourceArns  []string
	ResourceTags  map[string]string
	SelectionMode string
	Parameters    map[string]string
}

// NewFISTemplates starts a loopback endpoint in front of c. Close stops it.
func NewFISTemplates(c *Cloud) *FISTemplates {
	f := &FISTemplates{Cloud: c, bodies: map[string]map[string]TemplateBody{}}
	f.server = serveOnLoopback(f)
	return f
}

// URL is the endpoint to give every client instead of the Cloud's.
func (f *FISTemplates) URL() string { return f.server.URL }

// Close stops the endpoint (not the Cloud).
func (f *FISTemplates) Close() { f.server.Close() }

// Add registers a template in the Cloud (AddExperimentTemplate) with its contents.
func (f *FISTemplates) Add(t ExperimentTemplate, body TemplateBody) {
	f.Cloud.AddExperimentTemplate(t)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bodies[t.Region] == nil {
		f.bodies[t.Region] = map[string]TemplateBody{}
	}
	f.bodies[t.Region][t.ID] = body
}

func (f *FISTemplates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := signedScope.FindStringSubmatch(r.Header.Get("Authorization"))
	id, isGet := strings.CutPrefix(r.URL.Path, "/experimentTemplates/")
	if m == nil || m[2] != "fis" || r.Method != http.MethodGet || !isGet || id == "" {
		f.Cloud.ServeHTTP(w, r)
		return
	}
	region, requestID := m[1], newUUID()
	c := f.Cloud
	c.mu.Lock()
	c.calls = append(c.calls, fmt.Sprintf("fis GetExperimentTemplate %s", region))
	if c.throttle["fis"] > 0 {
		c.throttle["fis"]--
		c.mu.Unlock()
		writeServiceError(w, "fis", requestID, throttling["fis"])
		return
	}
	t := c.templates[region][id]
	var tags map[string]string
	if t != nil {
		tags = t.Tags
	}
	c.mu.Unlock()
	if t == nil {
		// a template of another region is not found here, as on AWS
		writeServiceError(w, "fis", requestID, errorf(http.StatusNotFound, "ResourceNotFoundException", "Experiment template %s not found.", id))
		return
	}
	f.mu.Lock()
	body := f.bodies[region][id]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", requestID)
	_ = json.NewEncoder(w).Encode(map[string]any{"experimentTemplate": templateDoc(region, id, tags, body)})
}

// templateDoc is the ExperimentTemplate document, as FIS's REST-JSON
// protocol writes it (lower camel case members).
func templateDoc(region, id string, tags map[string]string, b TemplateBody) map[string]any {
	actions := map[string]any{}
	for name, a := range b.Actions {
		doc := map[string]any{"actionId": a.ActionID, "parameters": orEmpty(a.Parameters), "targets": orEmpty(a.Targets)}
		if len(a.StartAfter) > 0 {
			doc["startAfter"] = a.StartAfter
		}
		actions[name] = doc
	}
	targets := map[string]any{}
	for name, t := range b.Targets {
		doc := map[string]any{"resourceType": t.ResourceType, "selectionMode": t.SelectionMode}
		if len(t.ResourceArns) > 0 {
			doc["resourceArns"] = t.ResourceArns
		}
		if len(t.ResourceTags) > 0 {
			doc["resourceTags"] = t.ResourceTags
		}
		if len(t.Parameters) > 0 {
			doc["parameters"] = t.Parameters
		}
		targets[name] = doc
	}
	return map[string]any{
		"id": id, "arn": "arn:aws:fis:" + region + ":" + Account + ":experiment-template/" + id,
		"description": b.Description, "roleArn": b.RoleArn, "actions": actions, "targets": targets,
		"stopConditions": []map[string]string{{"source": "none"}}, "tags": orEmpty(tags),
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
