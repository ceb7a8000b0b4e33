package localprovider

import (
	"context"
	"reflect"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// Monitor is an environment's monitoring: Prometheus with the rules of
// its SLOs, a blackbox exporter and a postgres exporter (the local
// CloudWatch alarms and dashboards).
type Monitor struct{}

// MonitoredService is what the monitoring needs to know of a service.
type MonitoredService struct {
	Name       string   `pulumi:"name"`
	Port       int      `pulumi:"port"`
	Regions    []string `pulumi:"regions"`
	Fqdn       string   `pulumi:"fqdn"`
	HealthPath string   `pulumi:"healthPath"`
	Database   bool     `pulumi:"database"`
}

// MonitorArgs are the monitoring's inputs.
type MonitorArgs struct {
	Env       string             `pulumi:"env" provider:"replaceOnChanges"`
	Services  []MonitoredService `pulumi:"services,optional"`
	Rules     string             `pulumi:"rules"`
	Retention string             `pulumi:"retention"`
}

// MonitorState adds where Prometheus answers and whether everything runs.
type MonitorState struct {
	MonitorArgs
	Prometheus string `pulumi:"prometheus"`
	Running    bool   `pulumi:"running"`
}

func (*Monitor) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "Monitor")
	a.Describe(&Monitor{}, "Prometheus, the blackbox exporter and the postgres exporter of an environment, in its global range (127.0.G.90-93).")
}

func (a MonitorArgs) spec() localapi.MonitorSpec {
	s := localapi.MonitorSpec{Env: a.Env, Rules: a.Rules, Retention: a.Retention}
	for _, m := range a.Services {
		s.Services = append(s.Services, localapi.MonitoredService{Name: m.Name, Port: m.Port, Regions: m.Regions, FQDN: m.Fqdn, HealthPath: m.HealthPath, Database: m.Database})
	}
	return s
}

// put starts or updates the monitoring unless this is a preview.
func (a MonitorArgs) put(ctx context.Context, dryRun bool) (MonitorState, error) {
	st := MonitorState{MonitorArgs: a, Running: true}
	if dryRun {
		return st, nil
	}
	c, err := client(ctx)
	if err != nil {
		return st, err
	}
	m, err := localapi.Put(ctx, c, localapi.Monitors, a.spec())
	st.Prometheus, st.Running = m.Prometheus, m.Running
	return st, wrap("monitor "+a.Env, err)
}

func (*Monitor) Create(ctx context.Context, req infer.CreateRequest[MonitorArgs]) (infer.CreateResponse[MonitorState], error) {
	st, err := req.Inputs.put(ctx, req.DryRun)
	return infer.CreateResponse[MonitorState]{ID: req.Inputs.Env, Output: st}, err
}

func (*Monitor) Update(ctx context.Context, req infer.UpdateRequest[MonitorArgs, MonitorState]) (infer.UpdateResponse[MonitorState], error) {
	st, err := req.Inputs.put(ctx, req.DryRun)
	if req.DryRun {
		st.Prometheus = req.State.Prometheus
	}
	return infer.UpdateResponse[MonitorState]{Output: st}, err
}

// Diff replaces the monitoring of another environment, updates changed
// services, rules or retention, and repairs processes that died (drift).
func (*Monitor) Diff(ctx context.Context, req infer.DiffRequest[MonitorArgs, MonitorState]) (infer.DiffResponse, error) {
	d := p.DiffResponse{DetailedDiff: replacements(req.State.MonitorArgs, req.Inputs)}
	if !reflect.DeepEqual(req.State.Services, req.Inputs.Services) && (len(req.State.Services) > 0 || len(req.Inputs.Services) > 0) {
		d.DetailedDiff["services"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if req.State.Rules != req.Inputs.Rules {
		d.DetailedDiff["rules"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if req.State.Retention != req.Inputs.Retention {
		d.DetailedDiff["retention"] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	if !req.State.Running {
		d.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	d.HasChanges = len(d.DetailedDiff) > 0
	return d, nil
}

func (*Monitor) Read(ctx context.Context, req infer.ReadRequest[MonitorArgs, MonitorState]) (infer.ReadResponse[MonitorArgs, MonitorState], error) {
	m, found, err := read(ctx, localapi.Monitors, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[MonitorArgs, MonitorState]{}, err
	}
	in := MonitorArgs{Env: m.Env, Rules: m.Rules, Retention: m.Retention}
	for _, s := range m.Services {
		in.Services = append(in.Services, MonitoredService{Name: s.Name, Port: s.Port, Regions: s.Regions, Fqdn: s.FQDN, HealthPath: s.HealthPath, Database: s.Database})
	}
	st := MonitorState{MonitorArgs: in, Prometheus: m.Prometheus, Running: m.Running}
	return infer.ReadResponse[MonitorArgs, MonitorState]{ID: req.ID, Inputs: in, State: st}, nil
}

func (*Monitor) Delete(ctx context.Context, req infer.DeleteRequest[MonitorState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.Monitors, req.ID, "monitor "+req.ID)
}

var (
	_ infer.CustomDiff[MonitorArgs, MonitorState]   = (*Monitor)(nil)
	_ infer.CustomUpdate[MonitorArgs, MonitorState] = (*Monitor)(nil)
	_ infer.CustomRead[MonitorArgs, MonitorState]   = (*Monitor)(nil)
	_ infer.CustomDelete[MonitorState]              = (*Monitor)(nil)
)
