package localtarget

import (
	"context"
	"fmt"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.InstanceLoss, func(b *build) (drill.Scenario, error) {
		return &InstanceLoss{Plane: b.plane, Group: b.group()}, nil
	})
}

// InstanceLoss kills one instance of a service's group on the local target;
// the group replaces it by itself.
type InstanceLoss struct {
	Plane *localapi.Client
	Group localapi.ServiceID
	Slot  int
	pid   int
}

var _ drill.Scenario = (*InstanceLoss)(nil)

func (s *InstanceLoss) Name() drill.ScenarioName        { return drill.InstanceLoss }
func (s *InstanceLoss) Disruption() topology.Disruption { return topology.DisruptionInstance }

func (s *InstanceLoss) Inject(ctx context.Context) (string, error) {
	killed, err := localapi.Do(ctx, s.Plane, localapi.KillInstance, s.Group, localapi.SlotRequest{Slot: s.Slot})
	s.pid = killed.PID
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("killed instance %d of %s (slot %d)", s.pid, s.Group, s.Slot), nil
}

func (s *InstanceLoss) Recover(ctx context.Context) (string, error) {
	return "nothing to do: the instance group replaces the instance and the load balancer routes around it", nil
}

// Restore waits until the group is whole and healthy again.
func (s *InstanceLoss) Restore(ctx context.Context) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		g, err := localapi.Get(ctx, s.Plane, localapi.Groups, s.Group)
		if err == nil && g.Healthy() == g.Current && g.Instances[s.Slot].PID != s.pid {
			return fmt.Sprintf("%s whole again: %d/%d healthy, slot %d now pid %d", s.Group, g.Healthy(), g.Current, s.Slot, g.Instances[s.Slot].PID), nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s not whole again within 30s", s.Group)
}
