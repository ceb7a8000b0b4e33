package review

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/cost"
	"github.com/bulwark-dev/bulwark/internal/imagemanifest"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/policies"
)

// Side is one revision's plan, policy results and assessment: the
// document `bulwark plan --format json` writes, plus the image manifests
// the environment uses.
type Side struct {
	// Label names the revision ("main", "abc1234", "working tree").
	Label string `json:"label,omitempty"`
	plan.Plan
	Policies   []policies.Result `json:"policies"`
	Assessment struct {
		Estimates    []Estimate     `json:"estimates"`
		Availability []Availability `json:"availability,omitempty"`
	} `json:"assessment"`
	// Cost is the plan's monthly bill (nil: a plan document of a bulwark
	// that did not price plans).
	Cost   *cost.Bill                         `json:"cost,omitempty"`
	Reason string                             `json:"policies_reason,omitempty"`
	Images map[string]*imagemanifest.Manifest `json:"images,omitempty"`
	// Notes say what could not be planned (a Terraform layer, ...).
	Notes []string `json:"notes,omitempty"`
}

// Estimate is an RTO/RPO estimate as the plan document writes it.
type Estimate struct {
	Service       string  `json:"service"`
	Disruption    string  `json:"disruption"`
	RTOSeconds    float64 `json:"rto_seconds"`
	RPOSeconds    float64 `json:"rpo_seconds"`
	Unrecoverable bool    `json:"unrecoverable,omitempty"`
	Target        *struct {
		RTOSeconds float64 `json:"rto_seconds"`
		RPOSeconds float64 `json:"rpo_seconds"`
	} `json:"target,omitempty"`
	Met bool `json:"met"`
}

// Availability is a service's estimated availability as the plan document writes it.
type Availability struct {
	Service string  `json:"service"`
	Own     float64 `json:"own"`
	Total   float64 `json:"total"`
}

// ParseSide reads a plan document.
func ParseSide(label string, doc []byte) (*Side, error) {
	var s Side
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, fmt.Errorf("plan of %s: %w", label, err)
	}
	if s.Environment == "" {
		return nil, fmt.Errorf("plan of %s: no environment in the document", label)
	}
	s.Label = label
	return &s, nil
}

// NewSide makes a side from a plan and its judgement, through the same
// document a base revision's bulwark writes.
func NewSide(label string, p *plan.Plan, results []policies.Result, a policies.Assessment, reason string, images map[string]*imagemanifest.Manifest) (*Side, error) {
	doc, err := json.Marshal(struct {
		*plan.Plan
		Policies   []policies.Result   `json:"policies"`
		Assessment policies.Assessment `json:"assessment"`
		Reason     string              `json:"policies_reason,omitempty"`
	}{p, results, a, reason})
	if err != nil {
		return nil, err
	}
	s, err := ParseSide(label, doc)
	if err != nil {
		return nil, err
	}
	s.Images = images
	return s, nil
}

// RelativeTo rewrites input values that name paths inside root (the local
// target's image sources) as relative to it, so two checkouts of one
// project plan alike.
func (s *Side) RelativeTo(root string) {
	root = filepath.Clean(root)
	var rewrite func(v any) any
	rewrite = func(v any) any {
		switch x := v.(type) {
		case string:
			if x == root {
				return "."
			}
			if rest, ok := strings.CutPrefix(x, root+string(filepath.Separator)); ok {
				return "./" + filepath.ToSlash(rest)
			}
		case map[string]any:
			for k, e := range x {
				x[k] = rewrite(e)
			}
		case []any:
			for i, e := range x {
				x[i] = rewrite(e)
			}
		}
		return v
	}
	for i := range s.Stacks {
		for j := range s.Stacks[i].Resources {
			rewrite(s.Stacks[i].Resources[j].Inputs)
		}
	}
}
