package localcloud

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// degradeView is what the runtime contract's degradation keys of an
// instance are made of: where the write queues and the links the plane
// holds listen. It is rebuilt (refreshDegrade) whenever a queue or a link
// is put or deleted, and read without a lock, so that a group's rollout
// key, which includes the keys' values, is computed under the group's
// lock alone.
type degradeView struct {
	queues map[localapi.ServiceID]queueKeys
	links  map[localapi.ServiceID]string // the link's URL, http://host:port
}

type queueKeys struct{ url, stream string }

// buildDegradeView reads the view from the persisted specs; callers hold p.mu.
func (p *Plane) buildDegradeView() *degradeView {
	v := &degradeView{queues: map[localapi.ServiceID]queueKeys{}, links: map[localapi.ServiceID]string{}}
	for id, q := range p.state.Queues {
		if r, ok := p.state.Regions[id.RegionID()]; ok {
			v.queues[id] = queueKeys{url: "nats://" + net.JoinHostPort(r.QueueAddress(), strconv.Itoa(q.Port)), stream: q.Stream}
		}
	}
	for id, l := range p.state.Links {
		if r, ok := p.state.Regions[id.RegionID()]; ok {
			v.links[id] = "http://" + net.JoinHostPort(r.LinkAddress(), strconv.Itoa(l.Port))
		}
	}
	return v
}

// env is the degradation keys of an instance of spec: the write queue's
// when the group writes through one and the plane holds it; the
// dependencies, each with its region's link's URL, or none when the plane
// holds no link for it (an external endpoint, which the local target
// cannot reach).
func (v *degradeView) env(spec localapi.GroupSpec) []string {
	var env []string
	if v == nil {
		v = &degradeView{}
	}
	if q, ok := v.queues[spec.ID()]; ok && spec.WriteQueue {
		env = append(env, contract.QueueEngine+"="+contract.QueueEngineNATS, contract.QueueURL+"="+q.url, contract.QueueName+"="+q.stream)
	}
	if len(spec.Dependencies) > 0 {
		deps := make([]contract.Dependency, len(spec.Dependencies))
		for i, d := range spec.Dependencies {
			d.URL = v.links[localapi.ServiceID{Env: spec.Env, Region: spec.Region, Service: d.Name}]
			deps[i] = d
		}
		env = append(env, contract.Dependencies+"="+contract.EncodeDependencies(deps))
	}
	return env
}

// refreshDegrade rebuilds the view after a queue or link changed; a group
// whose instances' keys change rolls, as on a changed variable.
func (p *Plane) refreshDegrade() {
	p.mu.Lock()
	next := p.buildDegradeView()
	old := p.degrade.Swap(next)
	groups := make([]*groupRunner, 0, len(p.groups))
	for _, g := range p.groups {
		groups = append(groups, g)
	}
	p.mu.Unlock()
	for _, g := range groups {
		g.mu.Lock()
		spec := g.spec
		changed := rolloutKeyWith(spec, old) != rolloutKeyWith(spec, next)
		if changed {
			g.previous, g.rolloutFailures = spec, 0
			g.rollout = &rollout{Rollout: localapi.Rollout{From: spec.Digest, To: spec.Digest, State: localapi.RolloutRolling, Started: time.Now()}, key: rolloutKeyWith(spec, next)}
			g.green, g.bakeUntil = nil, time.Time{}
			g.p.log.Printf("group %s: rolling out its new dependencies' or queue's addresses, one instance at a time", spec.ID())
		}
		g.mu.Unlock()
		if changed {
			g.poke()
		}
	}
}

// rolloutKey identifies what an instance of s runs, its degradation keys
// as the plane has them now included: a change replaces instances.
func (p *Plane) rolloutKey(s localapi.GroupSpec) string {
	return rolloutKeyWith(s, p.degrade.Load())
}

func rolloutKeyWith(s localapi.GroupSpec, v *degradeView) string {
	return declaredKey(s) + "|" + strings.Join(v.env(s), "\x00")
}
