package aws

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/ssm"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
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

// newParameters declares the service's parameters as String parameters of
// the standard tier under /bulwark/<env>/<service>/ in the region (nil when
// it has none): each region holds its own copy, so no region's instances
// depend on another region's store.
func newParameters(ctx *pulumi.Context, name string, a ServiceArgs, child pulumi.ResourceOption) (*parameters, error) {
	s := a.Service
	if len(s.Parameters) == 0 {
		return nil, nil
	}
	p := &parameters{names: slices.Sorted(maps.Keys(s.Parameters)), path: a.Topology.ParameterPath(s), digest: s.ParametersDigest()}
	var arns pulumi.StringArray
	for _, key := range p.names {
		param, err := ssm.NewParameter(ctx, name+"-"+key, &ssm.ParameterArgs{
			Name: pulumi.String(p.path + key), Type: pulumi.String("String"), Tier: pulumi.String("Standard"),
			// plain, as in the environment file: a review shows the change
			InsecureValue: pulumi.String(s.Parameters[key]), Tags: tags(a.Topology, a.Region.Name, s.Name),
		}, child)
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
