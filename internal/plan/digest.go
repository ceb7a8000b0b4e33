package plan

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/proto"

	"github.com/bulwark-dev/bulwark/internal/topology"
	"github.com/bulwark-dev/bulwark/stacks"
)

// Digest runs one stack's program as an engine run of it would (the
// topology, the run's inputs, the stack) under the plan's mocks, and
// returns the stack's graph and a digest (SHA-256) of everything the
// program asked of the engine: each resource it registered or read, whole
// (type, name, parent, inputs with secrets in clear, dependencies,
// provider, options), each data source it called with its arguments, and
// its outputs. Requests are taken in a canonical order (the mocks resolve
// them on their own goroutines), so the same program given the same inputs
// has the same digest in every run and process; any change to what it
// would register changes it.
//
// A stack whose program reads another stack by a stack reference resolves
// it from published (qualified stack name to outputs); a reference not
// there fails, as in Build.
func Digest(t *topology.Topology, in stacks.RunInputs, ref stacks.Ref, project string, published map[string]map[string]any) (*StackGraph, []byte, error) {
	if project == "" {
		project = "bulwark"
	}
	body, err := stacks.Build(t, in, ref)
	if err != nil {
		return nil, nil, err
	}
	m := &recorder{stackRefs: published, stack: ref.String(), project: project, providerRegions: map[string]string{}, digest: &requestDigest{}}
	return runRecorded(m, body)
}

// requestDigest collects one digest per request of a program run.
type requestDigest struct {
	mu       sync.Mutex
	requests [][sha256.Size]byte
}

// deterministic marshals a request with map entries sorted, so equal
// requests are equal bytes.
var deterministic = proto.MarshalOptions{Deterministic: true}

func (d *requestDigest) addResource(args pulumi.MockResourceArgs) error {
	var msg proto.Message
	var kind string
	switch {
	case args.RegisterRPC != nil:
		req := proto.Clone(args.RegisterRPC).(*pulumirpc.RegisterResourceRequest)
		// sets the SDK collects from maps: their order is not the program's
		slices.Sort(req.Dependencies)
		for _, deps := range req.PropertyDependencies {
			slices.Sort(deps.Urns)
		}
		slices.Sort(req.AdditionalSecretOutputs)
		// where in this process's code it was made, not what it asks: the
		// engine keeps it for error messages
		req.SourcePosition, req.StackTrace, req.ParentStackTraceHandle = nil, nil, ""
		msg, kind = req, "register"
	case args.ReadRPC != nil:
		req := proto.Clone(args.ReadRPC).(*pulumirpc.ReadResourceRequest)
		slices.Sort(req.Dependencies)
		slices.Sort(req.AdditionalSecretOutputs)
		req.SourcePosition, req.StackTrace, req.ParentStackTraceHandle = nil, nil, ""
		msg, kind = req, "read"
	default:
		// a mock without the request (older SDKs): its parts
		b, err := marshalProperties(args.Inputs)
		if err != nil {
			return err
		}
		d.add("resource", append([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%t\x00", args.TypeToken, args.Name, args.Provider, args.ID, args.Custom)), b...))
		return nil
	}
	b, err := deterministic.Marshal(msg)
	if err != nil {
		return fmt.Errorf("digest of the request: %w", err)
	}
	d.add(kind, b)
	return nil
}

func (d *requestDigest) addCall(args pulumi.MockCallArgs) error {
	b, err := marshalProperties(args.Args)
	if err != nil {
		return err
	}
	d.add("call", append([]byte(args.Token+"\x00"+args.Provider+"\x00"), b...))
	return nil
}

func (d *requestDigest) add(kind string, b []byte) {
	sum := sha256.Sum256(append([]byte(kind+"\x00"), b...))
	d.mu.Lock()
	d.requests = append(d.requests, sum)
	d.mu.Unlock()
}

// sum is the digest of the requests, sorted, and of the stack's outputs.
func (d *requestDigest) sum(outputs resource.PropertyMap) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	slices.SortFunc(d.requests, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	h := sha256.New()
	for _, r := range d.requests {
		h.Write(r[:])
	}
	out, err := marshalProperties(outputs)
	if err != nil {
		return nil, fmt.Errorf("outputs: %w", err)
	}
	h.Write([]byte("outputs\x00"))
	h.Write(out)
	return h.Sum(nil), nil
}

// marshalProperties is m as the engine's wire format, secrets and unknowns
// kept (secrets in clear), in deterministic bytes.
func marshalProperties(m resource.PropertyMap) ([]byte, error) {
	st, err := plugin.MarshalProperties(m, plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true})
	if err != nil {
		return nil, err
	}
	return deterministic.Marshal(st)
}

// outputValue is a stack output as a resolved output says it: unknown,
// secret or plain.
func outputValue(known, secret bool, v any) resource.PropertyValue {
	pv := resource.NewPropertyValue(v)
	switch {
	case !known:
		return resource.MakeComputed(resource.NewProperty(""))
	case secret:
		return resource.MakeSecret(pv)
	}
	return pv
}
