package cost

import (
	"fmt"

	"github.com/bulwark-dev/bulwark/internal/pricing"
)

// fakePrices are round rates for hand-worked bills; a rate not in it is
// pricing.ErrNoPrice, as the catalog answers.
type fakePrices map[string]float64

// testPrices are the rates the tests' arithmetic uses.
var testPrices = fakePrices{
	"ec2 t3.small":           0.02,  // per instance-hour
	"ebs gp3":                0.08,  // per GB-month
	"nat hour":               0.045, // per hour
	"nat gb":                 0.045, // per GB
	"alb hour":               0.0225,
	"alb lcu":                0.008,
	"aurora db.r6g.large":    0.26, // per instance-hour
	"aurora storage":         0.10, // per GB-month
	"aurora io":              0.20, // per million
	"aurora replicated":      0.20, // per million
	"ddb write":              1.25, // per million
	"ddb read":               0.25, // per million
	"ddb replicated":         1.875,
	"ddb storage":            0.25,
	"r53 check aws":          0.50,
	"r53 check other":        0.75,
	"r53 https":              1.00,
	"r53 queries routed":     0.60, // per million
	"r53 queries simple":     0.40,
	"r53 zone":               0.50,
	"alarm":                  0.10,
	"sqs":                    0.40, // per million
	"cf gb United States":    0.085,
	"cf https United States": 0.01, // per 10,000
	"transfer":               0.02, // per GB between regions
	"internet":               0.09,
	"backup":                 0.05,
	"fargate vcpu":           0.04048,
	"fargate gb":             0.004445,
}

func (f fakePrices) rate(key string) (pricing.Rate, error) {
	usd, ok := f[key]
	if !ok {
		return pricing.Rate{}, fmt.Errorf("%w: %s", pricing.ErrNoPrice, key)
	}
	return pricing.Rate{SKU: "SKU-" + key, USD: usd, File: "fake"}, nil
}

func (f fakePrices) EC2Instance(_, it string) (pricing.Rate, error)   { return f.rate("ec2 " + it) }
func (f fakePrices) EBSStorage(_, vt string) (pricing.Rate, error)    { return f.rate("ebs " + vt) }
func (f fakePrices) NATGatewayHour(string) (pricing.Rate, error)      { return f.rate("nat hour") }
func (f fakePrices) NATGatewayGB(string) (pricing.Rate, error)        { return f.rate("nat gb") }
func (f fakePrices) ALBHour(string) (pricing.Rate, error)             { return f.rate("alb hour") }
func (f fakePrices) ALBLCUHour(string) (pricing.Rate, error)          { return f.rate("alb lcu") }
func (f fakePrices) AuroraInstance(_, c string) (pricing.Rate, error) { return f.rate("aurora " + c) }
func (f fakePrices) AuroraStorageGB(string) (pricing.Rate, error)     { return f.rate("aurora storage") }
func (f fakePrices) AuroraIO(string) (pricing.Rate, error)            { return f.rate("aurora io") }
func (f fakePrices) AuroraReplicatedWriteIO(string) (pricing.Rate, error) {
	return f.rate("aurora replicated")
}
func (f fakePrices) DynamoDBWrite(string) (pricing.Rate, error) { return f.rate("ddb write") }
func (f fakePrices) DynamoDBRead(string) (pricing.Rate, error)  { return f.rate("ddb read") }
func (f fakePrices) DynamoDBReplicatedWrite(string) (pricing.Rate, error) {
	return f.rate("ddb replicated")
}
func (f fakePrices) DynamoDBStorageGB(string) (pricing.Rate, error) { return f.rate("ddb storage") }
func (f fakePrices) Route53HealthCheck(aws bool) (pricing.Rate, error) {
	if aws {
		return f.rate("r53 check aws")
	}
	return f.rate("r53 check other")
}
func (f fakePrices) Route53HealthCheckHTTPS() (pricing.Rate, error) { return f.rate("r53 https") }
func (f fakePrices) Route53Queries(routed bool) (pricing.Rate, error) {
	if routed {
		return f.rate("r53 queries routed")
	}
	return f.rate("r53 queries simple")
}
func (f fakePrices) Route53HostedZone() (pricing.Rate, error)     { return f.rate("r53 zone") }
func (f fakePrices) CloudWatchAlarm(string) (pricing.Rate, error) { return f.rate("alarm") }
func (f fakePrices) SQSRequests(string) (pricing.Rate, error)     { return f.rate("sqs") }
func (f fakePrices) CloudFrontGB(a string) (pricing.Rate, error)  { return f.rate("cf gb " + a) }
func (f fakePrices) CloudFrontHTTPSRequests(a string) (pricing.Rate, error) {
	return f.rate("cf https " + a)
}
func (f fakePrices) InterRegionGB(_, _ string) (pricing.Rate, error) { return f.rate("transfer") }
func (f fakePrices) InternetOutGB(string) (pricing.Rate, error)      { return f.rate("internet") }
func (f fakePrices) BackupStorageGB(string) (pricing.Rate, error)    { return f.rate("backup") }
func (f fakePrices) FargateVCPUHour(string) (pricing.Rate, error)    { return f.rate("fargate vcpu") }
func (f fakePrices) FargateGBHour(string) (pricing.Rate, error)      { return f.rate("fargate gb") }
func (f fakePrices) Published() map[string]string                    { return map[string]string{"fake": "2025-01-01"} }
