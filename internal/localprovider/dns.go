package localprovider

import (
	"context"
	"fmt"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// DnsServer is an environment's authoritative DNS server (PowerDNS): the
// local Route 53.
type DnsServer struct{}

// DnsServerArgs names the environment.
type DnsServerArgs struct {
	Env string `pulumi:"env" provider:"replaceOnChanges"`
}

// DnsServerState adds where it answers and whether it runs.
type DnsServerState struct {
	DnsServerArgs
	Address string `pulumi:"address"`
	Running bool   `pulumi:"running"`
}

func (*DnsServer) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "DnsServer")
	a.Describe(&DnsServer{}, "PowerDNS with LUA records, on the environment's own 127.0.G.53:10053.")
}

func (*DnsServer) Create(ctx context.Context, req infer.CreateRequest[DnsServerArgs]) (infer.CreateResponse[DnsServerState], error) {
	if req.DryRun {
		return infer.CreateResponse[DnsServerState]{ID: req.Inputs.Env, Output: DnsServerState{DnsServerArgs: req.Inputs}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[DnsServerState]{}, err
	}
	d, err := localapi.Put(ctx, c, localapi.DNSServers, localapi.DNSServerSpec{Env: req.Inputs.Env})
	return infer.CreateResponse[DnsServerState]{ID: req.Inputs.Env, Output: DnsServerState{DnsServerArgs: req.Inputs, Address: d.Address, Running: d.Running}}, wrap("dns server "+req.Inputs.Env, err)
}

// Diff repairs a server that is not running (drift) with an update.
func (*DnsServer) Diff(ctx context.Context, req infer.DiffRequest[DnsServerArgs, DnsServerState]) (infer.DiffResponse, error) {
	d := p.DiffResponse{DetailedDiff: replacements(req.State.DnsServerArgs, req.Inputs)}
	if !req.State.Running {
		d.DetailedDiff["running"] = p.PropertyDiff{Kind: p.Update}
	}
	d.HasChanges = len(d.DetailedDiff) > 0
	return d, nil
}

func (*DnsServer) Update(ctx context.Context, req infer.UpdateRequest[DnsServerArgs, DnsServerState]) (infer.UpdateResponse[DnsServerState], error) {
	if req.DryRun {
		return infer.UpdateResponse[DnsServerState]{Output: DnsServerState{DnsServerArgs: req.Inputs, Address: req.State.Address, Running: true}}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.UpdateResponse[DnsServerState]{}, err
	}
	d, err := localapi.Put(ctx, c, localapi.DNSServers, localapi.DNSServerSpec{Env: req.Inputs.Env})
	return infer.UpdateResponse[DnsServerState]{Output: DnsServerState{DnsServerArgs: req.Inputs, Address: d.Address, Running: d.Running}}, wrap("dns server "+req.ID, err)
}

func (*DnsServer) Read(ctx context.Context, req infer.ReadRequest[DnsServerArgs, DnsServerState]) (infer.ReadResponse[DnsServerArgs, DnsServerState], error) {
	d, found, err := read(ctx, localapi.DNSServers, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[DnsServerArgs, DnsServerState]{}, err
	}
	st := DnsServerState{DnsServerArgs: req.Inputs, Address: d.Address, Running: d.Running}
	return infer.ReadResponse[DnsServerArgs, DnsServerState]{ID: req.ID, Inputs: req.Inputs, State: st}, nil
}

func (*DnsServer) Delete(ctx context.Context, req infer.DeleteRequest[DnsServerState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.DNSServers, req.ID, "dns server "+req.ID)
}

// DnsRecord is a health-checked record (Route 53 records with health checks).
type DnsRecord struct{}

// DnsRecordArgs are the record's inputs.
type DnsRecordArgs struct {
	Env        string     `pulumi:"env" provider:"replaceOnChanges"`
	Zone       string     `pulumi:"zone" provider:"replaceOnChanges"`
	Name       string     `pulumi:"name" provider:"replaceOnChanges"`
	Ttl        int        `pulumi:"ttl"`
	Targets    [][]string `pulumi:"targets"`
	Port       int        `pulumi:"port"`
	HealthPath string     `pulumi:"healthPath"`
}

// DnsRecordState is the record as served.
type DnsRecordState struct {
	DnsRecordArgs
	Fqdn string `pulumi:"fqdn"`
}

func (*DnsRecord) Annotate(a infer.Annotator) {
	a.SetToken(contract.LocalModule, "DnsRecord")
	a.Describe(&DnsRecord{}, "A LUA ifurlup record: the healthy addresses of the first target set that has any, checked every second.")
}

func (a DnsRecordArgs) spec() localapi.DNSRecordSpec {
	return localapi.DNSRecordSpec{Env: a.Env, Zone: a.Zone, Name: a.Name, TTL: a.Ttl, Targets: a.Targets, Port: a.Port, HealthPath: a.HealthPath}
}

func (*DnsRecord) Create(ctx context.Context, req infer.CreateRequest[DnsRecordArgs]) (infer.CreateResponse[DnsRecordState], error) {
	spec := req.Inputs.spec()
	st := DnsRecordState{DnsRecordArgs: req.Inputs, Fqdn: spec.FQDN()}
	if req.DryRun {
		return infer.CreateResponse[DnsRecordState]{ID: spec.ID().String(), Output: st}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.CreateResponse[DnsRecordState]{}, err
	}
	_, err = localapi.Put(ctx, c, localapi.DNSRecords, spec)
	return infer.CreateResponse[DnsRecordState]{ID: spec.ID().String(), Output: st}, wrap("dns record "+spec.FQDN(), err)
}

func (*DnsRecord) Update(ctx context.Context, req infer.UpdateRequest[DnsRecordArgs, DnsRecordState]) (infer.UpdateResponse[DnsRecordState], error) {
	spec := req.Inputs.spec()
	st := DnsRecordState{DnsRecordArgs: req.Inputs, Fqdn: spec.FQDN()}
	if req.DryRun {
		return infer.UpdateResponse[DnsRecordState]{Output: st}, nil
	}
	c, err := client(ctx)
	if err != nil {
		return infer.UpdateResponse[DnsRecordState]{}, err
	}
	_, err = localapi.Put(ctx, c, localapi.DNSRecords, spec)
	return infer.UpdateResponse[DnsRecordState]{Output: st}, wrap("dns record "+spec.FQDN(), err)
}

func (*DnsRecord) Read(ctx context.Context, req infer.ReadRequest[DnsRecordArgs, DnsRecordState]) (infer.ReadResponse[DnsRecordArgs, DnsRecordState], error) {
	r, found, err := read(ctx, localapi.DNSRecords, req.ID)
	if !found || err != nil {
		return infer.ReadResponse[DnsRecordArgs, DnsRecordState]{}, err
	}
	in := DnsRecordArgs{Env: r.Env, Zone: r.Zone, Name: r.Name, Ttl: r.TTL, Targets: r.Targets, Port: r.Port, HealthPath: r.HealthPath}
	return infer.ReadResponse[DnsRecordArgs, DnsRecordState]{ID: req.ID, Inputs: in, State: DnsRecordState{DnsRecordArgs: in, Fqdn: r.FQDN()}}, nil
}

func (*DnsRecord) Delete(ctx context.Context, req infer.DeleteRequest[DnsRecordState]) (infer.DeleteResponse, error) {
	return infer.DeleteResponse{}, remove(ctx, localapi.DNSRecords, req.ID, fmt.Sprintf("dns record %s", req.ID))
}

var (
	_ infer.CustomDiff[DnsServerArgs, DnsServerState]   = (*DnsServer)(nil)
	_ infer.CustomUpdate[DnsRecordArgs, DnsRecordState] = (*DnsRecord)(nil)
	_ infer.CustomRead[DnsRecordArgs, DnsRecordState]   = (*DnsRecord)(nil)
)
