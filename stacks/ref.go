package stacks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// GlobalRegion is the pseudo-region naming the global stack.
const GlobalRegion = "global"

// ErrBadStackName is returned for a stack name that is not <env>.<region>.
var ErrBadStackName = errors.New("stack name is not <env>.<region> or <env>.global")

// Ref names one stack of an environment.
type Ref struct {
	Env    string
	Region string // a region name, or GlobalRegion
}

// Global is the environment's global stack.
func Global(env string) Ref { return Ref{Env: env, Region: GlobalRegion} }

// IsGlobal reports whether r is the global stack.
func (r Ref) IsGlobal() bool { return r.Region == GlobalRegion }

// String is the Pulumi stack name: <env>.<region>.
func (r Ref) String() string { return r.Env + "." + r.Region }

// ParseRef parses a stack name, optionally qualified (org/project/env.region).
func ParseRef(name string) (Ref, error) {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	env, region, ok := strings.Cut(name, ".")
	if !ok || env == "" || region == "" || strings.Contains(region, ".") {
		return Ref{}, fmt.Errorf("%w: %q", ErrBadStackName, name)
	}
	return Ref{Env: env, Region: region}, nil
}

// All lists an environment's stacks: every region in file order, then global.
func All(t *topology.Topology) []Ref {
	refs := make([]Ref, 0, len(t.Regions)+1)
	for _, r := range t.Regions {
		refs = append(refs, Ref{Env: t.Environment.Name, Region: r.Name})
	}
	return append(refs, Global(t.Environment.Name))
}
