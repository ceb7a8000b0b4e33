package awsrunbook

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/fis"
	fistypes "github.com/aws/aws-sdk-go-v2/service/fis/types"
)

// Experiment is a FIS experiment as the steps see it.
type Experiment struct {
	ID, Region string
	Status     fistypes.ExperimentStatus
	Reason     string
}

func experimentOf(region string, e *fistypes.Experiment) Experiment {
	out := Experiment{Region: region}
	if e == nil {
		return out
	}
	out.ID = aws.ToString(e.Id)
	if e.State != nil {
		out.Status, out.Reason = e.State.Status, aws.ToString(e.State.Reason)
	}
	return out
}

// ErrNoTemplate is returned when no experiment template has the tags asked for.
var ErrNoTemplate = errors.New("no FIS experiment template")

// FindTemplate returns the ID of the region's experiment template that
// carries every given tag (the stacks tag theirs with the environment,
// region, service and bulwark:scenario).
func (c *Clients) FindTemplate(ctx context.Context, region string, tags map[string]string) (string, error) {
	p := fis.NewListExperimentTemplatesPaginator(c.FIS(region), &fis.ListExperimentTemplatesInput{})
	for page := 0; p.HasMorePages(); page++ {
		if page == maxPages {
			return "", fmt.Errorf("list FIS experiment templates in %s: %w after %d pages", region, ErrTooManyPages, page)
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list FIS experiment templates in %s: %w", region, err)
		}
		for _, t := range out.ExperimentTemplates {
			match := true
			for k, v := range tags {
				match = match && t.Tags[k] == v
			}
			if match && t.Id != nil {
				return *t.Id, nil
			}
		}
	}
	return "", fmt.Errorf("%w in %s tagged %v (bulwark up declares one per service)", ErrNoTemplate, region, tags)
}

// StartExperiment starts an experiment from a template and waits until
// its actions run (or it ended early: a stop condition, a failure).
func (c *Clients) StartExperiment(ctx context.Context, region, template, token string, limit time.Duration) (Experiment, error) {
	out, err := c.FIS(region).StartExperiment(ctx, &fis.StartExperimentInput{ExperimentTemplateId: aws.String(template), ClientToken: aws.String(token)})
	if err != nil {
		return Experiment{}, fmt.Errorf("start FIS experiment from template %s in %s: %w", template, region, err)
	}
	e := experimentOf(region, out.Experiment)
	err = c.wait(ctx, fmt.Sprintf("FIS experiment %s running", e.ID), limit, func() (bool, error) {
		var err error
		e, err = c.experiment(ctx, e)
		if err != nil {
			return false, err
		}
		switch e.Status {
		case fistypes.ExperimentStatusRunning, fistypes.ExperimentStatusCompleted:
			return true, nil
		case fistypes.ExperimentStatusFailed, fistypes.ExperimentStatusStopped, fistypes.ExperimentStatusCancelled:
			return false, fmt.Errorf("FIS experiment %s %s: %s", e.ID, e.Status, e.Reason)
		}
		return false, nil
	})
	return e, err
}

func (c *Clients) experiment(ctx context.Context, e Experiment) (Experiment, error) {
	out, err := c.FIS(e.Region).GetExperiment(ctx, &fis.GetExperimentInput{Id: aws.String(e.ID)})
	if err != nil {
		return e, fmt.Errorf("FIS experiment %s: %w", e.ID, err)
	}
	return experimentOf(e.Region, out.Experiment), nil
}

// EndExperiment stops an experiment that still runs and waits until it has ended.
func (c *Clients) EndExperiment(ctx context.Context, e Experiment, limit time.Duration) (Experiment, error) {
	e, err := c.experiment(ctx, e)
	if err != nil {
		return e, err
	}
	ended := []fistypes.ExperimentStatus{fistypes.ExperimentStatusCompleted, fistypes.ExperimentStatusStopped, fistypes.ExperimentStatusFailed, fistypes.ExperimentStatusCancelled}
	if slices.Contains(ended, e.Status) {
		return e, nil
	}
	if _, err := c.FIS(e.Region).StopExperiment(ctx, &fis.StopExperimentInput{Id: aws.String(e.ID)}); err != nil {
		return e, fmt.Errorf("stop FIS experiment %s: %w", e.ID, err)
	}
	err = c.wait(ctx, fmt.Sprintf("FIS experiment %s stopped", e.ID), limit, func() (bool, error) {
		var err error
		e, err = c.experiment(ctx, e)
		return err == nil && slices.Contains(ended, e.Status), err
	})
	return e, err
}
