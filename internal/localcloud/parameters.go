package localcloud

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// PutParameter creates or updates a parameter.
func (p *Plane) PutParameter(_ context.Context, spec localapi.ParameterSpec) (localapi.ParameterSpec, error) {
	if spec.Env == "" || spec.Region == "" || spec.Service == "" || spec.Name == "" || strings.ContainsAny(spec.Name, "=/\x00") {
		return spec, fmt.Errorf("parameter %s: need env, region, service and a name without '=' or '/'", spec.ID())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.Parameters[spec.ID()] = spec
	return spec, p.save()
}

// GetParameter returns a parameter.
func (p *Plane) GetParameter(_ context.Context, id localapi.ParameterID) (localapi.ParameterSpec, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.state.Parameters[id]
	if !ok {
		return localapi.ParameterSpec{}, fmt.Errorf("parameter %s: %w", id, localapi.ErrNotFound)
	}
	return s, nil
}

// DeleteParameter removes a parameter; instances that run keep its value
// until they are replaced.
func (p *Plane) DeleteParameter(_ context.Context, id localapi.ParameterID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.state.Parameters[id]; !ok {
		return fmt.Errorf("parameter %s: %w", id, localapi.ErrNotFound)
	}
	delete(p.state.Parameters, id)
	return p.save()
}

// parameterEnv is what an instance of service in env/region starts with:
// NAME=value for each of the service's parameters in that region, by name.
func (p *Plane) parameterEnv(env, region, service string) []string {
	svc := localapi.ServiceID{Env: env, Region: region, Service: service}
	p.mu.Lock()
	defer p.mu.Unlock()
	var specs []localapi.ParameterSpec
	for id, s := range p.state.Parameters {
		if id.ServiceID() == svc {
			specs = append(specs, s)
		}
	}
	slices.SortFunc(specs, func(a, b localapi.ParameterSpec) int { return strings.Compare(a.Name, b.Name) })
	var out []string
	for _, s := range specs {
		out = append(out, s.Name+"="+s.Value)
	}
	return out
}

// forgetParameters removes every parameter of a region (before its
// rebuild) and returns how many it removed.
func (p *Plane) forgetParameters(region localapi.RegionID) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for id := range p.state.Parameters {
		if id.ServiceID().RegionID() == region {
			delete(p.state.Parameters, id)
			n++
		}
	}
	if n > 0 {
		if err := p.save(); err != nil {
			p.log.Printf("save state: %v", err)
		}
	}
	return n
}
