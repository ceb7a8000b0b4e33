package pricing

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
)

// attr is one attribute a product must have, with AWS's name and value.
type attr struct{ key, value string }

// query is what a named lookup matches in one offer file.
type query struct {
	offer, region string
	what          string // what was asked, in words, for errors
	family        string // productFamily
	attrs         []attr // exact attribute values; the first is indexed
	usage         string // usagetype, with or without a region prefix ("USW2-")
	scale         float64
	unit          string // the unit after scaling, when scaled
}

// regional attributes every regional product of EC2, ELB and RDS has in a
// region's file (which also holds Local Zones' and Outposts' products).
var inRegion = attr{"locationType", "AWS Region"}

func (c *Catalog) lookup(q query) (Rate, error) {
	f := c.files[q.offer][q.region]
	path := filepath.Join(c.dir, q.offer, q.region+".json")
	if f == nil {
		return Rate{}, fmt.Errorf("%w: %s %s: %s: no file %s", ErrNoPrice, q.offer, q.region, q.what, path)
	}
	var cands []*product
	if len(q.attrs) > 0 {
		cands = f.candidates(q.family, q.attrs[0].key, q.attrs[0].value)
	} else {
		cands = f.candidates(q.family, "", "")
	}
	var found []*product
	for _, p := range cands {
		if q.matches(p) && len(p.dims) > 0 {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return Rate{}, fmt.Errorf("%w: %s %s: %s: no product with an on-demand price matches %s in %s",
			ErrNoPrice, q.offer, q.region, q.what, q.describe(), f.path)
	}
	best, d := found[0], firstPaid(found[0].dims)
	for _, p := range found[1:] {
		if o := firstPaid(p.dims); o.usd != d.usd {
			skus := make([]string, len(found))
			for i, p := range found {
				skus[i] = p.sku
			}
			sort.Strings(skus)
			return Rate{}, fmt.Errorf("%w: %s %s: %s: %d products match %s at different prices (SKUs %s) in %s",
				ErrNoPrice, q.offer, q.region, q.what, len(found), q.describe(), strings.Join(skus, ", "), f.path)
		}
	}
	r := Rate{Offer: q.offer, Region: q.region, SKU: best.sku, Unit: d.unit,
		Description: d.description, USD: d.usd, File: f.path}
	if q.scale != 0 {
		r.USD = math.Round(d.usd*q.scale*1e10) / 1e10
		r.Unit = q.unit
	}
	return r, nil
}

func (q query) matches(p *product) bool {
	if p.family != q.family {
		return false
	}
	for _, a := range q.attrs {
		if p.attrs[a.key] != a.value {
			return false
		}
	}
	return q.usage == "" || usageIs(p.attrs["usagetype"], q.usage)
}

// usageIs reports whether usagetype u is want, bare (us-east-1's older
// services: "BoxUsage:t3.small") or behind one region prefix of capitals
// and digits ("USW2-BoxUsage:t3.small", "EU-...", "USE1-..."). A longer
// prefix ("USE1-BOS1-" of a Local Zone) or a word ("Intra-AWS-DNS-Queries")
// is another usage type.
func usageIs(u, want string) bool {
	if u == want {
		return true
	}
	prefix, rest, ok := strings.Cut(u, "-")
	if !ok || rest != want || len(prefix) < 2 || len(prefix) > 4 {
		return false
	}
	for _, r := range prefix {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// firstPaid is the first tier with a price above zero (a free tier left in
// a team's own files is skipped), or the first tier when all are free.
func firstPaid(dims []dimension) dimension {
	for _, d := range dims {
		if d.usd > 0 {
			return d
		}
	}
	return dims[0]
}

func (q query) describe() string {
	parts := []string{fmt.Sprintf("productFamily %q", q.family)}
	for _, a := range q.attrs {
		parts = append(parts, fmt.Sprintf("%s %q", a.key, a.value))
	}
	if q.usage != "" {
		parts = append(parts, fmt.Sprintf("usagetype %q", q.usage))
	}
	return strings.Join(parts, ", ")
}

// EC2Instance is an on-demand Linux instance on shared tenancy, per hour.
func (c *Catalog) EC2Instance(region, instanceType string) (Rate, error) {
	return c.lookup(query{offer: OfferEC2, region: region, what: "Linux instance " + instanceType + " (shared tenancy, hourly)",
		family: "Compute Instance",
		attrs: []attr{{"instanceType", instanceType}, inRegion, {"operatingSystem", "Linux"}, {"tenancy", "Shared"},
			{"preInstalledSw", "NA"}, {"capacitystatus", "Used"}, {"licenseModel", "No License required"}},
		usage: "BoxUsage:" + instanceType})
}

// EBSStorage is a GB-month of provisioned EBS storage of a volume type
// (its API name: gp3, gp2, io2, ...).
func (c *Catalog) EBSStorage(region, volumeType string) (Rate, error) {
	return c.lookup(query{offer: OfferEC2, region: region, what: "EBS " + volumeType + " storage (GB-month)",
		family: "Storage", attrs: []attr{{"volumeApiName", volumeType}, inRegion},
		usage: "EBS:VolumeUsage." + volumeType})
}

// NATGatewayHour is a NAT gateway's hour.
func (c *Catalog) NATGatewayHour(region string) (Rate, error) {
	return c.lookup(query{offer: OfferEC2, region: region, what: "NAT gateway hour",
		family: "NAT Gateway", attrs: []attr{inRegion}, usage: "NatGateway-Hours"})
}

// NATGatewayGB is a GB processed by a NAT gateway.
func (c *Catalog) NATGatewayGB(region string) (Rate, error) {
	return c.lookup(query{offer: OfferEC2, region: region, what: "NAT gateway GB processed",
		family: "NAT Gateway", attrs: []attr{inRegion}, usage: "NatGateway-Bytes"})
}

// ALBHour is an Application Load Balancer's hour.
func (c *Catalog) ALBHour(region string) (Rate, error) {
	return c.lookup(query{offer: OfferELB, region: region, what: "Application Load Balancer hour",
		family: "Load Balancer-Application", attrs: []attr{inRegion}, usage: "LoadBalancerUsage"})
}

// ALBLCUHour is an Application Load Balancer's load balancer capacity
// unit-hour (LCU-hour).
func (c *Catalog) ALBLCUHour(region string) (Rate, error) {
	return c.lookup(query{offer: OfferELB, region: region, what: "Application Load Balancer LCU-hour",
		family: "Load Balancer-Application", attrs: []attr{inRegion}, usage: "LCUUsage"})
}

// AuroraInstance is an Aurora PostgreSQL instance's hour (Aurora Standard,
// on demand), by instance class (db.r6g.large).
func (c *Catalog) AuroraInstance(region, instanceClass string) (Rate, error) {
	return c.lookup(query{offer: OfferRDS, region: region, what: "Aurora PostgreSQL instance " + instanceClass + " (hourly)",
		family: "Database Instance",
		attrs: []attr{{"instanceType", instanceClass}, inRegion, {"databaseEngine", "Aurora PostgreSQL"},
			{"deploymentOption", "Single-AZ"}},
		usage: "InstanceUsage:" + instanceClass})
}

// AuroraStorageGB is a GB-month of Aurora (Standard) cluster storage.
func (c *Catalog) AuroraStorageGB(region string) (Rate, error) {
	return c.lookup(query{offer: OfferRDS, region: region, what: "Aurora storage (GB-month)",
		family: "Database Storage", attrs: []attr{{"volumeType", "General Purpose-Aurora"}, inRegion},
		usage: "Aurora:StorageUsage"})
}

// AuroraIO is a million Aurora (Standard) I/O requests.
func (c *Catalog) AuroraIO(region string) (Rate, error) {
	return c.lookup(query{offer: OfferRDS, region: region, what: "Aurora I/O (per million requests)",
		family: "System Operation", attrs: []attr{{"group", "Aurora I/O Operation"}, inRegion},
		usage: "Aurora:StorageIOUsage", scale: 1e6, unit: "million IOs"})
}

// AuroraReplicatedWriteIO is a million write I/Os an Aurora global database
// replicates from its primary region to a secondary one.
func (c *Catalog) AuroraReplicatedWriteIO(region string) (Rate, error) {
	return c.lookup(query{offer: OfferRDS, region: region, what: "Aurora global database replicated write I/O (per million)",
		family: "System Operation", attrs: []attr{{"group", "Aurora Global Database"}, inRegion},
		usage: "Aurora:ReplicatedWriteIO", scale: 1e6, unit: "million IOs"})
}

func (c *Catalog) dynamoRequests(region, group, usage, what string) (Rate, error) {
	return c.lookup(query{offer: OfferDynamoDB, region: region, what: what,
		family: "Amazon DynamoDB PayPerRequest Throughput", attrs: []attr{{"group", group}},
		usage: usage, scale: 1e6, unit: "million " + usage})
}

// DynamoDBWrite is a million on-demand write request units.
func (c *Catalog) DynamoDBWrite(region string) (Rate, error) {
	return c.dynamoRequests(region, "DDB-WriteUnits", "WriteRequestUnits", "DynamoDB on-demand write request units (per million)")
}

// DynamoDBRead is a million on-demand read request units.
func (c *Catalog) DynamoDBRead(region string) (Rate, error) {
	return c.dynamoRequests(region, "DDB-ReadUnits", "ReadRequestUnits", "DynamoDB on-demand read request units (per million)")
}

// DynamoDBReplicatedWrite is a million on-demand replicated write request
// units: a global table's write, paid in each replica region.
func (c *Catalog) DynamoDBReplicatedWrite(region string) (Rate, error) {
	return c.dynamoRequests(region, "DDB-ReplicatedWriteUnits", "ReplWriteRequestUnits",
		"DynamoDB global tables on-demand replicated write request units (per million)")
}

// DynamoDBStorageGB is a GB-month of DynamoDB Standard table storage.
func (c *Catalog) DynamoDBStorageGB(region string) (Rate, error) {
	return c.lookup(query{offer: OfferDynamoDB, region: region, what: "DynamoDB Standard storage (GB-month)",
		family: "Database Storage", attrs: []attr{{"volumeType", "Amazon DynamoDB - Indexed DataStore"}},
		usage: "TimedStorage-ByteHrs"})
}

// Route53HealthCheck is a basic health check's month, of an AWS endpoint
// (an ALB, an EC2 instance) or of any other.
func (c *Catalog) Route53HealthCheck(awsEndpoint bool) (Rate, error) {
	usage, what := "Health-Check-NonAWS", "Route 53 basic health check of a non-AWS endpoint (per month)"
	if awsEndpoint {
		usage, what = "Health-Check-AWS", "Route 53 basic health check of an AWS endpoint (per month)"
	}
	return c.lookup(query{offer: OfferRoute53, region: Global, what: what, family: "DNS Health Check", usage: usage})
}

// Route53HealthCheckHTTPS is the month's surcharge for one optional feature
// (HTTPS, string matching, fast interval, latency measurement) on a health
// check of an AWS endpoint.
func (c *Catalog) Route53HealthCheckHTTPS() (Rate, error) {
	return c.lookup(query{offer: OfferRoute53, region: Global,
		what:   "Route 53 health check optional feature (HTTPS) on an AWS endpoint (per month)",
		family: "DNS Health Check", usage: "Health-Check-Option-AWS"})
}

// Route53Queries is a million DNS queries, the first tier: standard
// queries, or latency-based routing queries when latencyOrFailover is set.
// AWS bills failover records' queries at the standard rate; the latency
// rate is the dearer bound for a mix of both.
func (c *Catalog) Route53Queries(latencyOrFailover bool) (Rate, error) {
	usage, what := "DNS-Queries", "Route 53 standard queries (per million)"
	if latencyOrFailover {
		usage, what = "LBR-Queries", "Route 53 latency-based routing queries (per million)"
	}
	return c.lookup(query{offer: OfferRoute53, region: Global, what: what, family: "DNS Query",
		usage: usage, scale: 1e6, unit: "million Queries"})
}

// Route53HostedZone is a hosted zone's month (the first 25 zones' tier).
func (c *Catalog) Route53HostedZone() (Rate, error) {
	return c.lookup(query{offer: OfferRoute53, region: Global, what: "Route 53 hosted zone (per month)",
		family: "DNS Zone", usage: "HostedZone"})
}

// CloudWatchAlarm is a standard-resolution metric alarm's month.
func (c *Catalog) CloudWatchAlarm(region string) (Rate, error) {
	return c.lookup(query{offer: OfferCloudWatch, region: region, what: "CloudWatch standard alarm (per alarm-month)",
		family: "Alarm", attrs: []attr{{"alarmType", "Standard"}}, usage: "CW:AlarmMonitorUsage"})
}

// SQSRequests is a million standard-queue requests, the first paid tier.
func (c *Catalog) SQSRequests(region string) (Rate, error) {
	return c.lookup(query{offer: OfferSQS, region: region, what: "SQS standard queue requests (per million)",
		family: "API Request", attrs: []attr{{"queueType", "Standard"}}, usage: "Requests-Tier1",
		scale: 1e6, unit: "million Requests"})
}

// CloudFrontGB is a GB CloudFront serves to the internet in a pricing area
// ("United States", "Canada", "Europe"), the first paid tier.
func (c *Catalog) CloudFrontGB(area string) (Rate, error) {
	return c.lookup(query{offer: OfferCloudFront, region: Global, what: "CloudFront data transfer out to the internet from " + area + " (per GB)",
		family: "Data Transfer", attrs: []attr{{"fromLocation", area}, {"transferType", "CloudFront Outbound"}},
		usage: "DataTransfer-Out-Bytes"})
}

// CloudFrontHTTPSRequests is 10,000 HTTPS requests CloudFront answers in a
// pricing area.
func (c *Catalog) CloudFrontHTTPSRequests(area string) (Rate, error) {
	return c.lookup(query{offer: OfferCloudFront, region: Global, what: "CloudFront HTTPS requests in " + area + " (per 10,000)",
		family: "Request", attrs: []attr{{"location", area}, {"requestType", "CloudFront-Request-HTTPS"}},
		usage: "Requests-Tier2-HTTPS", scale: 1e4, unit: "10,000 Requests"})
}

// InterRegionGB is a GB sent from one AWS region to another.
func (c *Catalog) InterRegionGB(from, to string) (Rate, error) {
	return c.lookup(query{offer: OfferDataTransfer, region: from, what: "data transfer from " + from + " to " + to + " (per GB)",
		family: "Data Transfer", attrs: []attr{{"toRegionCode", to}, {"fromRegionCode", from},
			{"transferType", "InterRegion Outbound"}}})
}

// InternetOutGB is a GB sent from a region to the internet, the first paid
// tier (up to 10 TB a month).
func (c *Catalog) InternetOutGB(region string) (Rate, error) {
	return c.lookup(query{offer: OfferDataTransfer, region: region, what: "data transfer out to the internet (per GB)",
		family: "Data Transfer", attrs: []attr{{"transferType", "AWS Outbound"}, {"fromRegionCode", region},
			{"toLocation", "External"}},
		usage: "DataTransfer-Out-Bytes"})
}

// BackupStorageGB is a GB-month of AWS Backup's warm storage of Aurora
// snapshots (a copy in another region is billed there at that region's
// rate).
func (c *Catalog) BackupStorageGB(region string) (Rate, error) {
	return c.lookup(query{offer: OfferBackup, region: region, what: "AWS Backup Aurora snapshot storage (GB-month)",
		family: "AWS Backup Storage", attrs: []attr{{"resourceType", "Aurora"}, {"storageClass", "Warm"}},
		usage: "WarmStorage-ByteHrs-Aurora"})
}

// FargateVCPUHour is a Fargate (Linux, x86) vCPU-hour.
func (c *Catalog) FargateVCPUHour(region string) (Rate, error) {
	return c.lookup(query{offer: OfferECS, region: region, what: "Fargate Linux/x86 vCPU-hour",
		family: "Compute", usage: "Fargate-vCPU-Hours:perCPU"})
}

// FargateGBHour is a Fargate (Linux, x86) GB-hour of memory.
func (c *Catalog) FargateGBHour(region string) (Rate, error) {
	return c.lookup(query{offer: OfferECS, region: region, what: "Fargate Linux/x86 GB-hour of memory",
		family: "Compute", usage: "Fargate-GB-Hours"})
}
