package cost

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/bulwark-dev/bulwark/internal/pricing"
)

// HoursPerMonth is the month every hourly rate is multiplied by: AWS's
// own convention (8,760 hours a year / 12).
const HoursPerMonth = 730

// Prices are the rates the bill reads; *pricing.Catalog has them.
type Prices interface {
	EC2Instance(region, instanceType string) (pricing.Rate, error)
	EBSStorage(region, volumeType string) (pricing.Rate, error)
	NATGatewayHour(region string) (pricing.Rate, error)
	NATGatewayGB(region string) (pricing.Rate, error)
	ALBHour(region string) (pricing.Rate, error)
	ALBLCUHour(region string) (pricing.Rate, error)
	AuroraInstance(region, instanceClass string) (pricing.Rate, error)
	AuroraStorageGB(region string) (pricing.Rate, error)
	AuroraIO(region string) (pricing.Rate, error)
	AuroraReplicatedWriteIO(region string) (pricing.Rate, error)
	DynamoDBWrite(region string) (pricing.Rate, error)
	DynamoDBRead(region string) (pricing.Rate, error)
	DynamoDBReplicatedWrite(region string) (pricing.Rate, error)
	DynamoDBStorageGB(region string) (pricing.Rate, error)
	Route53HealthCheck(awsEndpoint bool) (pricing.Rate, error)
	Route53HealthCheckHTTPS() (pricing.Rate, error)
	Route53Queries(latencyOrFailover bool) (pricing.Rate, error)
	Route53HostedZone() (pricing.Rate, error)
	CloudWatchAlarm(region string) (pricing.Rate, error)
	SQSRequests(region string) (pricing.Rate, error)
	CloudFrontGB(area string) (pricing.Rate, error)
	CloudFrontHTTPSRequests(area string) (pricing.Rate, error)
	InterRegionGB(from, to string) (pricing.Rate, error)
	InternetOutGB(region string) (pricing.Rate, error)
	BackupStorageGB(region string) (pricing.Rate, error)
	FargateVCPUHour(region string) (pricing.Rate, error)
	FargateGBHour(region string) (pricing.Rate, error)
	Published() map[string]string
}

var _ Prices = (*pricing.Catalog)(nil)

// Line is one priced quantity of one resource (or of one service's usage).
type Line struct {
	Stack   string `json:"stack"`
	Service string `json:"service,omitempty"` // empty: shared by the environment (its network, its alarms' topic)
	// Kind names what is priced ("ec2-instance", "aurora-io", ...).
	Kind     string  `json:"kind"`
	Resource string  `json:"resource"` // the resource's type and name
	Region   string  `json:"region,omitempty"`
	Quantity float64 `json:"quantity"`
	// Unit is what Quantity counts, in the rate's unit ("instance-hours",
	// "GB-months", "million requests").
	Unit       string  `json:"unit"`
	UnitUSD    float64 `json:"unit_usd"`
	MonthlyUSD float64 `json:"monthly_usd"`
	// SKU is the offer file's product, File the file it was read from.
	SKU  string `json:"sku,omitempty"`
	File string `json:"file,omitempty"`
	// Basis says where the quantity came from.
	Basis string `json:"basis"`
}

// Key identifies a line between two bills of one environment.
func (l Line) Key() string { return l.Stack + "\x00" + l.Kind + "\x00" + l.Resource }

// Unpriced is a resource kind the plan declares and the bill does not price.
type Unpriced struct {
	Kind  string   `json:"kind"`
	Type  string   `json:"type"`
	Count int      `json:"count"`
	Why   string   `json:"why"`
	Names []string `json:"names,omitempty"` // stack/name of each, at most a few
}

// Bill is a plan's monthly cost on AWS.
type Bill struct {
	Environment string `json:"environment"`
	// Target is the environment's own target; the bill is always AWS's.
	Target string `json:"target"`
	// Mapping maps each of the environment's regions to the AWS region it
	// is priced in (the identity on the aws target).
	Mapping map[string]string `json:"mapping"`
	// MappingNote says what else AsAWS changed to plan it on AWS.
	MappingNote string `json:"mapping_note,omitempty"`
	// Prices is the folder the rates came from; Published the offer
	// files' publication dates, by offer.
	Prices        string            `json:"prices,omitempty"`
	Published     map[string]string `json:"published,omitempty"`
	HoursPerMonth int               `json:"hours_per_month"`
	Lines         []Line            `json:"lines"`
	Unpriced      []Unpriced        `json:"unpriced"`
}

// Subtotal is the monthly cost of one stack, service or kind.
type Subtotal struct {
	Name       string  `json:"name"`
	MonthlyUSD float64 `json:"monthly_usd"`
	Lines      int     `json:"lines"`
}

// Shared names the lines of no service in ByService.
const Shared = "(shared)"

// Total is the bill's monthly cost in USD.
func (b Bill) Total() float64 {
	t := 0.0
	for _, l := range b.Lines {
		t += l.MonthlyUSD
	}
	return t
}

// ByStack sums the lines per stack, dearest first.
func (b Bill) ByStack() []Subtotal { return b.sum(func(l Line) string { return l.Stack }) }

// ByService sums the lines per service (Shared for the environment's own), dearest first.
func (b Bill) ByService() []Subtotal {
	return b.sum(func(l Line) string { return cmp.Or(l.Service, Shared) })
}

// ByKind sums the lines per kind, dearest first.
func (b Bill) ByKind() []Subtotal { return b.sum(func(l Line) string { return l.Kind }) }

func (b Bill) sum(key func(Line) string) []Subtotal {
	by := map[string]*Subtotal{}
	for _, l := range b.Lines {
		k := key(l)
		s := by[k]
		if s == nil {
			s = &Subtotal{Name: k}
			by[k] = s
		}
		s.MonthlyUSD += l.MonthlyUSD
		s.Lines++
	}
	out := make([]Subtotal, 0, len(by))
	for _, k := range slices.Sorted(maps.Keys(by)) {
		out = append(out, *by[k])
	}
	slices.SortStableFunc(out, func(x, y Subtotal) int { return cmp.Compare(y.MonthlyUSD, x.MonthlyUSD) })
	return out
}

// ServiceTotal is one service's monthly cost (Shared: the environment's own).
func (b Bill) ServiceTotal(service string) float64 {
	t := 0.0
	for _, l := range b.Lines {
		if cmp.Or(l.Service, Shared) == service {
			t += l.MonthlyUSD
		}
	}
	return t
}

// USD formats an amount of dollars: $1,234.56.
func USD(x float64) string {
	neg := x < 0
	if neg {
		x = -x
	}
	s := fmt.Sprintf("%.2f", x)
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if neg {
		return "-$" + whole + frac
	}
	return "$" + whole + frac
}

// SignedUSD formats a change: +$12.00, -$3.50, $0.00.
func SignedUSD(x float64) string {
	if x > 0.005 {
		return "+" + USD(x)
	}
	if x > -0.005 {
		return USD(0)
	}
	return USD(x)
}

// Document is the bill as `bulwark plan --format json` writes it: the
// bill with its total and subtotals.
type Document struct {
	Bill
	MonthlyUSD float64    `json:"monthly_usd"`
	ByStack    []Subtotal `json:"by_stack"`
	ByService  []Subtotal `json:"by_service"`
	ByKind     []Subtotal `json:"by_kind"`
}

// Document adds the total and subtotals to the bill.
func (b Bill) Document() Document {
	return Document{Bill: b, MonthlyUSD: b.Total(), ByStack: b.ByStack(), ByService: b.ByService(), ByKind: b.ByKind()}
}

// On says what the bill is of: "on AWS", or for another target "on AWS as
// east → us-east-1, west → us-west-2".
func (b Bill) On() string {
	if b.Target == "aws" || Identity(b.Mapping) {
		return "on AWS"
	}
	return "on AWS as " + MappingText(b.Mapping)
}
