package policies

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/plan"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// Resource types of pulumi-aws (sdk v7) the aws adapter reads.
const (
	awsGroup         = "aws:autoscaling/group:Group"
	awsECSService    = "aws:ecs/service:Service"
	awsTaskDef       = "aws:ecs/taskDefinition:TaskDefinition"
	awsScalingTarget = "aws:appautoscaling/target:Target"
	awsTargetGroup   = "aws:lb/targetGroup:TargetGroup"
	awsRecord        = "aws:route53/record:Record"
	awsHealthCheck   = "aws:route53/healthCheck:HealthCheck"
)

// fromAWS reads the aws target's resources (modules/aws) into the model:
// per region the autoscaling group or ECS service, the target group's
// health check, the launch template's AMI or the task's image, the Aurora
// cluster or DynamoDB table; the backup plan of the primary region; the
// Route 53 records and health checks of the global stack.
func fromAWS(t *topology.Topology, p *plan.Plan) *Model {
	m := &Model{Topology: t, Target: t.Environment.Target}
	get := indexGraph(p).get
	env := t.Environment.Name
	for _, decl := range t.Services {
		svc := &Service{Decl: decl}
		primary, _ := t.PrimaryRegionOf(decl)
		for _, region := range decl.Regions {
			stack := env + "." + region
			d := &Deployment{Region: region, Primary: region == t.Primary().Name}
			if r, res, ok := get(stack, awsGroup, decl.Name); ok {
				d.Group = &Group{Resource: res, Min: num(r.Inputs, "minSize"), Desired: num(r.Inputs, "desiredCapacity"), Max: num(r.Inputs, "maxSize"),
					Zones: len(toStrings(r.Inputs["vpcZoneIdentifiers"]))}
			}
			if r, res, ok := get(stack, awsECSService, decl.Name); ok {
				g := &Group{Resource: res, Desired: num(r.Inputs, "desiredCount"), Zones: len(strs(obj(r.Inputs, "networkConfiguration"), "subnets"))}
				g.Min, g.Max = g.Desired, g.Desired
				if st, _, ok := get(stack, awsScalingTarget, decl.Name); ok {
					g.Min, g.Max = num(st.Inputs, "minCapacity"), num(st.Inputs, "maxCapacity")
				}
				d.Group = g
			}
			if r, res, ok := get(stack, awsTargetGroup, decl.Name); ok {
				h := obj(r.Inputs, "healthCheck")
				d.Balancer = &Balancer{Resource: res, Interval: seconds(h, "interval"), Timeout: seconds(h, "timeout"), UnhealthyAfter: num(h, "unhealthyThreshold")}
			}
			if r, res, ok := get(stack, awsLaunchTemplate, decl.Name); ok {
				// an AMI ID names one immutable image: it pins the build
				d.Image = &Image{Resource: res, Digest: str(r.Inputs, "imageId"), Build: instanceBuildTag(r.Inputs)}
			}
			if r, res, ok := get(stack, awsTaskDef, decl.Name); ok {
				d.Image = &Image{Resource: res, Digest: containerDigest(str(r.Inputs, "containerDefinitions")), Build: imageBuildTag(obj(r.Inputs, "tags"))}
			}
			if r, res, ok := get(stack, awsRDSCluster, decl.Name); ok {
				// an Aurora global database replicates asynchronously, whatever the file asks
				d.Database = &Database{Resource: res, Primary: primary, Replicas: others(decl.Regions, primary),
					Replication: topology.Asynchronous, DeletionProtection: truthy(r.Inputs["deletionProtection"])}
			}
			if r, res, ok := get(env+"."+primary, awsDynamoTable, decl.Name); ok {
				var replicas []string
				for _, rep := range list(r.Inputs, "replicas") {
					replicas = append(replicas, str(rep, "regionName"))
				}
				d.Database = &Database{Resource: res, Primary: primary, Replicas: replicas,
					Replication: topology.Asynchronous, DeletionProtection: truthy(r.Inputs["deletionProtectionEnabled"])}
			}
			if r, res, ok := get(stack, awsBackupPlan, decl.Name); ok {
				svc.Backup = backupFromPlan(r, res, region)
			}
			svc.Regions = append(svc.Regions, d)
		}
		svc.DNS = dnsFromRecords(decl, primary, func(region string) (plan.Resource, plan.Resource, Resource, bool) {
			rec, res, ok := get(env+".global", awsRecord, decl.Name+"-"+region)
			check, _, _ := get(env+".global", awsHealthCheck, decl.Name+"-"+region)
			return rec, check, res, ok
		})
		m.Services = append(m.Services, svc)
	}
	return m
}

// imageBuildTag is the build modules/aws tags instances and tasks with.
func imageBuildTag(tags map[string]any) string { return str(tags, contract.TagImageBuild) }

// instanceBuildTag is the build a launch template tags its instances with.
func instanceBuildTag(template map[string]any) string {
	for _, spec := range list(template, "tagSpecifications") {
		if str(spec, "resourceType") == "instance" {
			return imageBuildTag(obj(spec, "tags"))
		}
	}
	return ""
}

func seconds(m map[string]any, k string) time.Duration { return time.Duration(num(m, k)) * time.Second }

func others(regions []string, primary string) []string {
	var out []string
	for _, r := range regions {
		if r != primary {
			out = append(out, r)
		}
	}
	return out
}

// containerDigest is the digest the task's first container is pinned to,
// or "" when it runs a tag.
func containerDigest(defs string) string {
	var containers []struct{ Image string }
	if json.Unmarshal([]byte(defs), &containers) != nil || len(containers) == 0 {
		return ""
	}
	if _, digest, ok := strings.Cut(containers[0].Image, "@"); ok && strings.HasPrefix(digest, "sha256:") {
		return digest
	}
	return ""
}

// backupCron matches the schedules modules/aws writes: every N hours, or daily.
var backupCron = regexp.MustCompile(`^cron\(\d+ (\d+|\*|0/\d+|\*/\d+) `)

func backupFromPlan(r plan.Resource, res Resource, region string) *BackupPlan {
	rules := list(r.Inputs, "rules")
	if len(rules) == 0 {
		return nil
	}
	rule := rules[0]
	b := &BackupPlan{Resource: res, Source: region, Vaults: []string{region},
		Keep: time.Duration(num(obj(rule, "lifecycle"), "deleteAfter")) * 24 * time.Hour}
	if m := backupCron.FindStringSubmatch(str(rule, "schedule")); m != nil {
		switch hours := m[1]; {
		case hours == "*":
			b.Every = time.Hour
		case strings.Contains(hours, "/"):
			n, _ := strconv.Atoi(hours[strings.Index(hours, "/")+1:])
			b.Every = time.Duration(n) * time.Hour
		default:
			b.Every = 24 * time.Hour
		}
	}
	for _, c := range list(rule, "copyActions") {
		// arn:aws:backup:<region>:<account>:backup-vault:<name>
		if parts := strings.Split(str(c, "destinationVaultArn"), ":"); len(parts) > 3 && !slices.Contains(b.Vaults, parts[3]) {
			b.Vaults = append(b.Vaults, parts[3])
		}
	}
	return b
}

// dnsFromRecords reads a service's Route 53 records: latency records make
// one set of every region; failover records a set per region, primary first.
func dnsFromRecords(decl topology.Service, primary string, record func(region string) (rec, check plan.Resource, res Resource, ok bool)) *DNSRecord {
	var dns *DNSRecord
	var failover [2][]string
	var latency []string
	for _, region := range append([]string{primary}, others(decl.Regions, primary)...) {
		rec, check, res, ok := record(region)
		if !ok {
			continue
		}
		if dns == nil {
			ttl := time.Duration(num(rec.Inputs, "ttl")) * time.Second
			if len(list(rec.Inputs, "aliases")) > 0 {
				// an alias to a load balancer has no TTL of its own: Route 53
				// answers with the load balancer's, 60 s
				// (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html)
				ttl = 60 * time.Second
			}
			dns = &DNSRecord{Resource: res, TTL: ttl, HealthChecked: true,
				CheckInterval: seconds(check.Inputs, "requestInterval"), Threshold: num(check.Inputs, "failureThreshold")}
		}
		dns.HealthChecked = dns.HealthChecked && str(rec.Inputs, "healthCheckId") != ""
		if pols := list(rec.Inputs, "failoverRoutingPolicies"); len(pols) > 0 {
			if str(pols[0], "type") == "PRIMARY" {
				failover[0] = append(failover[0], region)
			} else {
				failover[1] = append(failover[1], region)
			}
		} else {
			latency = append(latency, region)
		}
	}
	if dns == nil {
		return nil
	}
	if len(latency) > 0 {
		dns.Sets = append(dns.Sets, latency)
	}
	for _, set := range failover {
		if len(set) > 0 {
			dns.Sets = append(dns.Sets, set)
		}
	}
	return dns
}
