package localcloud

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// PutParameter creates or updates a parameter. A secret one is sealed
// with the plane's key (secretstore.go) before it is stored, and the
// answer carries no value.
func (p *Plane) PutParameter(_ context.Context, spec localapi.ParameterSpec) (localapi.ParameterSpec, error) {
	if spec.Env == "" || spec.Region == "" || spec.Service == "" || spec.Name == "" || strings.ContainsAny(spec.Name, "=/\x00") {
		return redacted(spec), fmt.Errorf("parameter %s: need env, region, service and a name without '=' or '/'", spec.ID())
	}
	spec.Sealed = ""
	p.mu.Lock() // the first secret creates the key: one at a time
	if spec.Secret {
		key, err := loadSecretKey(p.dir)
		if err != nil {
			p.mu.Unlock()
			return redacted(spec), fmt.Errorf("parameter %s: %w", spec.ID(), err)
		}
		if spec.Sealed, err = sealSecret(key, spec.ID().String(), spec.Value); err != nil {
			p.mu.Unlock()
			return redacted(spec), fmt.Errorf("parameter %s: %w", spec.ID(), err)
		}
		spec.Value = ""
	}
	p.state.Parameters[spec.ID()] = spec
	gen := p.changed()
	p.mu.Unlock()
	if err := p.commit(gen); err != nil {
		return redacted(spec), fmt.Errorf("parameter %s: %w", spec.ID(), err)
	}
	return redacted(spec), nil
}

// redacted is a parameter as the API answers it: a secret one without its
// value, sealed or not.
func redacted(s localapi.ParameterSpec) localapi.ParameterSpec {
	if s.Secret {
		s.Value, s.Sealed = localapi.RedactedValue, ""
	}
	return s
}

// GetParameter returns a parameter.
func (p *Plane) GetParameter(_ context.Context, id localapi.ParameterID) (localapi.ParameterSpec, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.state.Parameters[id]
	if !ok {
		return localapi.ParameterSpec{}, fmt.Errorf("parameter %s: %w", id, localapi.ErrNotFound)
	}
	return redacted(s), nil
}

// DeleteParameter removes a parameter; instances that run keep its value
// until they are replaced.
func (p *Plane) DeleteParameter(_ context.Context, id localapi.ParameterID) error {
	p.mu.Lock()
	if _, ok := p.state.Parameters[id]; !ok {
		p.mu.Unlock()
		return fmt.Errorf("parameter %s: %w", id, localapi.ErrNotFound)
	}
	delete(p.state.Parameters, id)
	gen := p.changed()
	p.mu.Unlock()
	if err := p.commit(gen); err != nil {
		return fmt.Errorf("parameter %s: %w", id, err)
	}
	return nil
}

// parameterEnv is what an instance of service in env/region starts with:
// NAME=value for each of the service's parameters in that region, by name,
// secret ones opened with the plane's key (one that does not open is left
// out, and logged by name).
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
	var key []byte
	for _, s := range specs {
		value := s.Value
		if s.Secret {
			var err error
			if key == nil {
				key, err = loadSecretKey(p.dir)
			}
			if err == nil {
				value, err = openSecret(key, s.ID().String(), s.Sealed)
			}
			if err != nil {
				p.log.Printf("parameter %s: left out of the instance's environment: %v", s.ID(), err)
				continue
			}
		}
		out = append(out, s.Name+"="+value)
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
