package localtarget

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/drill"
	"github.com/bulwark-dev/bulwark/internal/localapi"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

func init() {
	register(drill.ZoneLoss, func(b *build) (drill.Scenario, error) {
		return &ZoneLoss{Plane: b.plane, Group: b.group(), Zone: b.req.Zone}, nil
	})
}

// ZoneLoss takes one zone of a region down for a service's group: its
// instances die and are not replaced until the zone returns.
type ZoneLoss struct {
	Plane *localapi.Client
	Group localapi.ServiceID
	Zone  int
}

var _ drill.Scenario = (*ZoneLoss)(nil)

func (s *ZoneLoss) Name() drill.ScenarioName        { return drill.ZoneLoss }
func (s *ZoneLoss) Disruption() topology.Disruption { return topology.DisruptionZone }

func (s *ZoneLoss) Inject(ctx context.Context) (string, error) {
	out, err := localapi.Do(ctx, s.Plane, localapi.SetZoneDown, s.Group, localapi.ZoneRequest{Zone: s.Zone, Down: true})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("zone %d of %s lost: killed %s", s.Zone, s.Group, strings.Join(out.Killed, ", ")), nil
}

func (s *ZoneLoss) Recover(ctx context.Context) (string, error) {
	return "nothing to do: the load balancer routes to the other zones' instances", nil
}

func (s *ZoneLoss) Restore(ctx context.Context) (string, error) {
	if _, err := localapi.Do(ctx, s.Plane, localapi.SetZoneDown, s.Group, localapi.ZoneRequest{Zone: s.Zone}); err != nil {
		return "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if g, err := localapi.Get(ctx, s.Plane, localapi.Groups, s.Group); err == nil && g.Healthy() == g.Current {
			return fmt.Sprintf("zone %d back: %s %d/%d healthy", s.Zone, s.Group, g.Healthy(), g.Current), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("%s not whole again within 30s", s.Group)
}
