package awsrunbook

import (
	"context"
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
