package localcloud

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Blue-green: a group whose spec says BlueGreen runs its instances in one
// of two slot ranges (SlotBase 0 or Max). A new image or configuration
// starts a whole second set in the other range ("green") beside the
// serving one ("blue"); once every green instance passes its health checks
// and the load balancer counts it up, the blue instances are drained at
// the load balancer (no new requests; those in flight finish), kept for
// the bake time, then stopped, and the group serves from the other range.
// Green instances that keep failing their health checks are stopped and
// the group stays blue: a rollback that no request notices.

// otherBase is the slot range a switch starts the new instances in.
func otherBase(spec localapi.GroupSpec) int {
	if spec.SlotBase == 0 {
		return spec.Max
	}
	return 0
}

// blueGreen runs one pass of a switch in progress; false when there is none.
func (g *groupRunner) blueGreen(client *http.Client, spec localapi.GroupSpec) bool {
	key := g.p.rolloutKey(spec)
	g.mu.Lock()
	r := g.rollout
	switching := spec.BlueGreen && r != nil && r.State == localapi.RolloutRolling && r.key == key && g.activeKeyDiffers(key)
	if !switching {
		g.mu.Unlock()
		return false
	}
	if g.green == nil {
		base := otherBase(spec)
		for i := range g.scaler.current {
			g.green = append(g.green, &slot{idx: base + i})
		}
		g.p.log.Printf("group %s: blue-green: starting %d instances of %s beside the serving ones", spec.ID(), len(g.green), ShortDigest(spec.Digest))
	}
	green := append([]*slot(nil), g.green...)
	baking, bakeUntil := g.bakeUntil != time.Time{}, g.bakeUntil
	g.mu.Unlock()

	allHealthy := true
	for _, s := range green {
		if !s.proc.running() {
			g.start(s, spec)
			allHealthy = false
			continue
		}
		if !g.greenCheck(client, s, spec) {
			allHealthy = false
		}
	}
	if g.rolledBack(key) {
		return true
	}
	g.mu.Lock()
	blue := append([]*slot(nil), g.slots...)
	g.mu.Unlock()
	for _, s := range blue {
		if s.proc.running() {
			g.check(client, s, spec) // blue keeps serving meanwhile
		}
	}
	switch {
	case !baking && allHealthy && g.balancerCounts(spec, green, "UP"):
		if err := g.balancerSet(spec, blue, "drain"); err != nil {
			g.p.log.Printf("group %s: blue-green: drain the serving instances: %v", spec.ID(), err)
			return true
		}
		g.mu.Lock()
		g.bakeUntil = time.Now().Add(spec.Bake)
		g.mu.Unlock()
		g.p.log.Printf("group %s: blue-green: traffic switched to %s; the previous instances are kept for %s", spec.ID(), ShortDigest(spec.Digest), spec.Bake)
	case baking && time.Now().After(bakeUntil):
		for _, s := range blue {
			if s.proc != nil {
				_ = s.proc.stop(5 * time.Second)
			}
			g.p.setPID(g.p.slotName(spec, s.idx), 0)
		}
		g.mu.Lock()
		g.slots, g.green, g.bakeUntil = green, nil, time.Time{}
		g.spec.SlotBase = otherBase(spec)
		g.rollout.State, g.rollout.Ended = localapi.RolloutDone, time.Now()
		done := g.spec
		g.mu.Unlock()
		g.p.recordGroupSpec(done)
		g.p.log.Printf("group %s: blue-green: done; %s serves", spec.ID(), ShortDigest(spec.Digest))
	}
	return true
}

// activeKeyDiffers reports whether a serving instance runs another spec. Called with g.mu held.
func (g *groupRunner) activeKeyDiffers(key string) bool {
	for _, s := range g.slots {
		if s.proc.running() && s.key != key {
			return true
		}
	}
	return false
}

// greenCheck health-checks a new instance; ones that keep failing count
// toward a rollback, and are restarted until then.
func (g *groupRunner) greenCheck(client *http.Client, s *slot, spec localapi.GroupSpec) bool {
	ok := healthy(client, s.inst.Address, spec.Health)
	g.mu.Lock()
	if ok {
		s.inst.Failures, s.inst.State = 0, "healthy"
		g.mu.Unlock()
		return true
	}
	s.inst.Failures++
	grace := time.Duration(spec.Health.UnhealthyAfter+1)*spec.Health.Interval + 5*time.Second
	failed := s.inst.Failures >= spec.Health.UnhealthyAfter && (s.inst.State != "starting" || time.Since(s.inst.Started) > grace)
	if failed {
		g.rolloutFailures++
		if g.rolloutFailures >= maxRolloutFailures {
			g.abandonGreen(fmt.Sprintf("%d new instances failed %d health checks (%s)", g.rolloutFailures, spec.Health.UnhealthyAfter, spec.Health.Path))
			g.mu.Unlock()
			return false
		}
	}
	g.mu.Unlock()
	if failed {
		g.replace(s, spec, fmt.Sprintf("new instance failed %d health checks", spec.Health.UnhealthyAfter))
	}
	return false
}

// abandonGreen rolls a switch back: the new instances stop, the serving
// ones take all requests again. Called with g.mu held.
func (g *groupRunner) abandonGreen(reason string) {
	green := g.green
	spec := g.spec
	g.green, g.bakeUntil = nil, time.Time{}
	g.rollBack(reason)
	blue := append([]*slot(nil), g.slots...)
	go func() {
		_ = g.balancerSet(spec, blue, "ready")
		for _, s := range green {
			if s.proc != nil {
				_ = s.proc.stop(5 * time.Second)
			}
			g.p.setPID(g.p.slotName(spec, s.idx), 0)
		}
		g.poke()
	}()
}

func (g *groupRunner) rolledBack(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rollout != nil && g.rollout.key == key && g.rollout.State == localapi.RolloutRolledBack
}

// balancerCommand sends one command to the group's load balancer (the
// HAProxy runtime API on its admin socket) and returns the answer; ok is
// false when the group has no running balancer.
func (p *Plane) balancerCommand(spec localapi.GroupSpec, cmd string) (string, bool, error) {
	p.mu.Lock()
	b, ok := p.balancers[spec.ID()]
	p.mu.Unlock()
	if !ok || !b.status().Running {
		return "", false, nil
	}
	sock := p.adminSocket(localapi.BalancerSpec{Env: spec.Env, Region: spec.Region, Service: spec.Service})
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return "", true, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", cmd); err != nil {
		return "", true, err
	}
	var out strings.Builder
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	return out.String(), true, sc.Err()
}

// balancerCounts reports whether the load balancer counts every slot in
// the state ("UP"); true when there is no balancer to ask.
func (g *groupRunner) balancerCounts(spec localapi.GroupSpec, slots []*slot, state string) bool {
	out, ok, err := g.p.balancerCommand(spec, "show stat")
	if !ok {
		return true
	}
	if err != nil {
		return false
	}
	rows, err := statRows(out)
	if err != nil {
		return false
	}
	status := map[string]string{}
	for _, row := range rows {
		if row["pxname"] == "instances" {
			status[row["svname"]] = row["status"]
		}
	}
	for _, s := range slots {
		if !strings.HasPrefix(status[fmt.Sprintf("slot%d", s.idx)], state) {
			return false
		}
	}
	return true
}

// balancerSet sets the load balancer's state of the slots' servers
// (drain: no new requests; ready: serving again).
func (g *groupRunner) balancerSet(spec localapi.GroupSpec, slots []*slot, state string) error {
	for _, s := range slots {
		out, ok, err := g.p.balancerCommand(spec, fmt.Sprintf("set server instances/slot%d state %s", s.idx, state))
		if !ok {
			return nil
		}
		if err != nil {
			return err
		}
		if strings.TrimSpace(out) != "" {
			return fmt.Errorf("haproxy: %s", strings.TrimSpace(out))
		}
	}
	return nil
}

// BalancerStats reads a balancer's counters through HAProxy's runtime API.
func (p *Plane) BalancerStats(id localapi.ServiceID) (localapi.BalancerStats, error) {
	b, err := p.GetBalancer(context.Background(), id)
	if err != nil {
		return localapi.BalancerStats{}, err
	}
	spec := localapi.GroupSpec{Env: b.Env, Region: b.Region, Service: b.Service}
	out, ok, err := p.balancerCommand(spec, "show stat")
	if !ok {
		return localapi.BalancerStats{}, fmt.Errorf("load balancer %s is not running: %w", id, localapi.ErrNotFound)
	}
	if err != nil {
		return localapi.BalancerStats{}, fmt.Errorf("load balancer %s: %w", id, err)
	}
	return parseFrontendStats(out)
}

// parseFrontendStats reads the FRONTEND row of HAProxy's CSV statistics.
func parseFrontendStats(csv string) (localapi.BalancerStats, error) {
	rows, err := statRows(csv)
	if err != nil {
		return localapi.BalancerStats{}, err
	}
	for _, row := range rows {
		if row["svname"] != "FRONTEND" {
			continue
		}
		var st localapi.BalancerStats
		_, err1 := fmt.Sscan(row["req_tot"], &st.Requests)
		_, err2 := fmt.Sscan(row["hrsp_5xx"], &st.Errors5xx)
		if err1 != nil || err2 != nil {
			return st, fmt.Errorf("haproxy statistics: req_tot %q, hrsp_5xx %q", row["req_tot"], row["hrsp_5xx"])
		}
		return st, nil
	}
	return localapi.BalancerStats{}, fmt.Errorf("haproxy statistics without a frontend")
}

// statRows reads HAProxy's `show stat` CSV into rows by column name.
func statRows(csv string) ([]map[string]string, error) {
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		return nil, fmt.Errorf("haproxy statistics without a header")
	}
	names := strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	var rows []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, v := range strings.Split(line, ",") {
			if i < len(names) {
				row[names[i]] = v
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
