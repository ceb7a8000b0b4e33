package aws

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// parameters are a service's parameters in its region's Parameter Store,
// and what lets a role read them.
type parameters struct {
	// names, sorted, and each one's resource and ARN, in that order
	names     []string
	resources []pulumi.Resource
	arns      pulumi.StringArrayOutput
	// readPolicy lets a role read them: each by name, and the service's
	// path at once (GetParametersByPath)
	readPolicy pulumi.StringOutput
	// path is where they live: /bulwark/<env>/<service>/
	path, digest string
}

// newParameters declares the service's parameters as String parameters (a
// secret parameter as a SecureString) of the standard tier under /bulwark/<env>/<service>/ in the region (nil when
// it has none): each region holds its own copy, so no region's instances
// depend on another region's store.
func newParameters(ctx *pulumi.Context, name string, a ServiceArgs, child pulumi.ResourceOption) (*parameters, error) {
	s := a.Service
	if len(s.Parameters) == 0 && len(s.SecretParameters) == 0 {
		return nil, nil
	}
	p := &parameters{names: slices.Sorted(slices.Values(append(slices.Collect(maps.Keys(s.Parameters)), s.SecretParameters...))),
		path: a.Topology.ParameterPath(s), digest: s.ParametersDigest()}
	var arns pulumi.StringArray
	for _, key := range p.names {
		args := &ssm.ParameterArgs{
			Name: pulumi.String(p.path + key), Type: pulumi.String("String"), Tier: pulumi.String("Standard"),
			// plain, as in the environment file: a review shows the change
			InsecureValue: pulumi.String(s.Parameters[key]), Tags: tags(a.Topology, a.Region.Name, s.Name),
		}
		if slices.Contains(s.SecretParameters, key) {
			// a SecureString (the account's aws/ssm key) whose value is a
			// Pulumi secret: encrypted in the state, masked in previews
			args.Type, args.InsecureValue, args.Value = pulumi.String("SecureString"), nil, secretValue(s, key)
		}
		param, err := ssm.NewParameter(ctx, name+"-"+key, args, child)
		if err != nil {
			return nil, err
		}
		p.resources = append(p.resources, param)
		arns = append(arns, param.Arn)
	}
	p.arns = arns.ToStringArrayOutput()
	p.readPolicy = p.arns.ApplyT(func(arns []string) (string, error) {
		// arn:<partition>:ssm:<region>:<account>:parameter/bulwark/<env>/<service>/<NAME>
		path, _ := strings.CutSuffix(arns[0], "/"+p.names[0])
		b, err := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{
				{"Effect": "Allow", "Action": []string{"ssm:GetParameter", "ssm:GetParameters"}, "Resource": arns},
				{"Effect": "Allow", "Action": "ssm:GetParametersByPath", "Resource": path},
			},
		})
		return string(b), err
	}).(pulumi.StringOutput)
	return p, nil
}

// secretValue is a secret parameter's value as a Pulumi secret: from the
// operator's environment, or topology.SecretPlaceholder where it is not
// set (an offline plan; commands that deploy check it is set first).
func secretValue(s topology.Service, key string) pulumi.StringOutput {
	v, ok := s.SecretValue(key)
	if !ok {
		v = topology.SecretPlaceholder
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput)
}
