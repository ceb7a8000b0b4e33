package awsconstraints

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/plan"
)

// crossRegionAllowed are the inputs where AWS itself reaches into another
// Region, so that a value of another Region there is by design. Anything
// else that names another Region's resource is a miswiring: regional
// resources see only their own Region.
var crossRegionAllowed = []struct {
	typ, path string
	why       string
}{
	// AWS Backup copies recovery points into a vault of another Region
	// (https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html)
	{"aws:backup/plan:Plan", "rules.*.copyActions.*.destinationVaultArn", "a backup copy action's destination vault"},
	// a replica key names its primary, a multi-Region key of another Region
	// (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html)
	{"aws:kms/replicaKey:ReplicaKey", "primaryKeyArn", "a replica key's primary key"},
	// each replica of a DynamoDB global table lives in its own Region,
	// encrypted with a key of that Region
	// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html)
	{"aws:dynamodb/table:Table", "replicas.*.kmsKeyArn", "a global table replica's key"},
	// Route 53 is a global service: records and health checks point at
	// endpoints in any Region
	// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html)
	{"aws:route53/record:Record", "records.*", "a Route 53 record's value"},
	{"aws:route53/record:Record", "aliases.*.name", "a Route 53 alias target"},
	{"aws:route53/healthCheck:HealthCheck", "fqdn", "a Route 53 health check's endpoint"},
	// CloudFront is a global service: a distribution's custom origins are
	// endpoints in any Region (a cache's regional load balancers)
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistS3AndCustomOrigins.html)
	{"aws:cloudfront/distribution:Distribution", "origins.*.domainName", "a CloudFront origin"},
	// a dashboard's widgets each name the Region of their metrics
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_crossregion_dashboard.html)
	{"aws:cloudwatch/dashboard:Dashboard", "dashboardBody", "a dashboard's widgets"},
	// a secret replicates into other Regions, each replica encrypted with
	// a key of its Region
	// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/create-manage-multi-region-secrets.html)
	{"aws:secretsmanager/secret:Secret", "replicas.*.kmsKeyId", "a secret replica's key"},
	// AWS's public rotation functions are Serverless Application
	// Repository applications published in us-east-1 and deployed from
	// that ARN into any Region
	// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_available-rotation-templates.html)
	{"aws:serverlessrepository/cloudFormationStack:CloudFormationStack", "applicationId", "a public Serverless Application Repository application"},
}

func crossRegionAllowedAt(typ, path string) bool {
	for _, a := range crossRegionAllowed {
		if a.typ == typ && pathMatches(a.path, path) {
			return true
		}
	}
	return false
}

func pathMatches(pattern, path string) bool {
	p, q := strings.Split(pattern, "."), strings.Split(path, ".")
	if len(p) != len(q) {
		return false
	}
	for i := range p {
		if p[i] != "*" && p[i] != q[i] {
			return false
		}
	}
	return true
}

// ec2IDRE are the region-scoped IDs a resource names other resources by
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/resource-ids.html).
var ec2IDRE = regexp.MustCompile(`^(vpc|subnet|sg|lt|igw|rtb|nat|eipalloc|acl)-[0-9a-f]{8,17}$`)

// CrossRegionReference is a value in a resource's inputs that belongs to
// another Region than the resource.
type CrossRegionReference struct {
	Stack, URN, Type string
	// Path is where in the inputs ("alarmActions.0"); Value the ARN, DNS
	// name or ID found there; Region the Region it belongs to.
	Path, Value, Region string
	// ResourceRegion is the resource's own.
	ResourceRegion string
}

// crossRegion walks a resource's inputs for ARNs and DNS names that carry
// a Region, and EC2 IDs of planned resources, that are not of the
// resource's Region, outside the allow-list.
func crossRegion(ix *index, r subject) []CrossRegionReference {
	if r.Region == "" {
		return nil
	}
	var out []CrossRegionReference
	add := func(path, value, region string) {
		if region == "" || region == r.Region || crossRegionAllowedAt(r.Type, path) {
			return
		}
		out = append(out, CrossRegionReference{Stack: r.Stack, URN: r.URN, Type: r.Type, Path: path, Value: value, Region: region, ResourceRegion: r.Region})
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(join(path, k), x[k])
			}
		case []any:
			for i, e := range x {
				walk(join(path, fmt.Sprint(i)), e)
			}
		case string:
			for _, m := range arnRE.FindAllStringSubmatch(x, -1) {
				add(path, m[0], m[2])
			}
			for _, m := range regionalHostRE.FindAllStringSubmatch(x, -1) {
				add(path, m[0], m[1])
			}
			if ec2IDRE.MatchString(x) {
				if target, ok := ix.lookup(x); ok {
					add(path, x, target.Region)
				}
			}
		}
	}
	walk("", r.Inputs)
	return out
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// CrossRegionReferences are every value of a plan's resources that names
// another Region's resource where AWS does not reach across Regions.
func CrossRegionReferences(p *plan.Plan) []CrossRegionReference {
	ix := newIndex(p)
	var out []CrossRegionReference
	for _, r := range ix.all {
		if strings.HasPrefix(r.Type, "aws:") {
			out = append(out, crossRegion(ix, r)...)
		}
	}
	return out
}

var crossRegionRules = []Rule{{
	ID:      "region-same",
	Summary: "a regional resource names only resources of its own Region, except where AWS reaches across Regions by design (copy actions, replica keys, global table replicas, Route 53, CloudFront origins, dashboards, secret replicas)",
	Source:  "https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/regional-services.html",
	check: func(ix *index, r subject) []string {
		var out []string
		for _, c := range crossRegion(ix, r) {
			out = append(out, fmt.Sprintf("%s names %s of %s, but the resource is in %s", c.Path, c.Value, c.Region, c.ResourceRegion))
		}
		return out
	},
}}
