package localcloud

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ParameterSpec is one named value of a service's runtime configuration in
// one region's parameter store (the local Systems Manager Parameter Store).
// Instances of the service in that region get every one of its parameters
// as an environment variable when they start.
type ParameterSpec struct {
	Env     string `json:"env"`
	Region  string `json:"region"`
	Service string `json:"service"`
	Name    string `json:"name"`
	Value   string `json:"value"`
}

// ID is env/region/service/name.
func (s ParameterSpec) ID() string { return s.Env + "/" + s.Region + "/" + s.Service + "/" + s.Name }

// PutParameter creates or updates a parameter.
func (p *Plane) PutParameter(spec ParameterSpec) (ParameterSpec, error) {
	if spec.Env == "" || spec.Region == "" || spec.Service == "" || spec.Name == "" || strings.ContainsAny(spec.Name, "=/\x00") {
		return spec, fmt.Errorf("parameter %s: need env, region, service and a name without '=' or '/'", spec.ID())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.Parameters[spec.ID()] = spec
	return spec, p.save()
}

// GetParameter returns a parameter.
func (p *Plane) GetParameter(id string) (ParameterSpec, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.state.Parameters[id]
	if !ok {
		return ParameterSpec{}, fmt.Errorf("parameter %s: %w", id, ErrNotFound)
	}
	return s, nil
}

// DeleteParameter removes a parameter; instances that run keep its value
// until they are replaced.
func (p *Plane) DeleteParameter(id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.state.Parameters[id]; !ok {
		return fmt.Errorf("parameter %s: %w", id, ErrNotFound)
	}
	delete(p.state.Parameters, id)
	return p.save()
}

// parameterEnv is what an instance of service in env/region starts with:
// NAME=value for each of the service's parameters in that region, by name.
func (p *Plane) parameterEnv(env, region, service string) []string {
	prefix := env + "/" + region + "/" + service + "/"
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, id := range slices.Sorted(maps.Keys(p.state.Parameters)) {
		if s := p.state.Parameters[id]; strings.HasPrefix(id, prefix) {
			out = append(out, s.Name+"="+s.Value)
		}
	}
	return out
}

// forgetParameters removes every parameter whose ID starts with prefix (a
// region's, before its rebuild) and returns how many it removed.
func (p *Plane) forgetParameters(prefix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for id := range p.state.Parameters {
		if strings.HasPrefix(id, prefix) {
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
