package local

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// secretParameters declares a service's secret parameters in a region's
// store: each value, from the operator's environment
// (topology.SecretParameterEnv), is a Pulumi secret, so the state holds it
// encrypted by the stack's secrets provider and previews show it masked;
// the store keeps it sealed (localcloud's secret store). Where the
// variable is not set (an offline plan, a review) the value is
// topology.SecretPlaceholder: commands that deploy check every variable is
// set first (Topology.CheckSecrets).
func secretParameters(ctx *pulumi.Context, env, region string, s topology.Service, parent pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var out []pulumi.Resource
	for _, name := range s.SecretParameters {
		value, ok := s.SecretValue(name)
		if !ok {
			value = topology.SecretPlaceholder
		}
		param := &Parameter{}
		err := ctx.RegisterResource(contract.TypeLocalParameter, s.Name+"-"+name, pulumi.Map{
			"env": pulumi.String(env), "region": pulumi.String(region), "service": pulumi.String(s.Name),
			"name": pulumi.String(name), "value": pulumi.ToSecret(pulumi.String(value)), "secret": pulumi.Bool(true),
		}, param, parent, pulumi.AdditionalSecretOutputs([]string{"value"}))
		if err != nil {
			return nil, err
		}
		out = append(out, param)
	}
	return out, nil
}
