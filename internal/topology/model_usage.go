package topology

import "github.com/hashicorp/hcl/v2"

// Usage is what a plan cannot know and a bill needs: requests, writes,
// gigabytes moved and stored. The environment's usage block sets it for
// every service; a service's own usage block overrides single figures.
// Every figure is per service and per month (730 hours), over all the
// service's regions unless its name says otherwise.
type Usage struct {
	// RequestsPerMonth are the requests the service answers, all regions
	// together: split over its serving regions (every region when
	// active-active, the primary when hot-standby). DynamoDB reads one
	// item per request; a cache in front bills its requests.
	RequestsPerMonth float64
	// WritesPerMonth are the writes to the service's database, all regions
	// together: Aurora I/O (one I/O a write), DynamoDB write requests, and
	// each write replicated to every other region.
	WritesPerMonth float64
	// GBOutPerMonth is what the service sends to the internet (through its
	// load balancers, or its cache when it has one).
	GBOutPerMonth float64
	// GBBetweenRegionsPerMonth is what the service's database replicates
	// from its primary region to each other region.
	GBBetweenRegionsPerMonth float64
	// NATGBPerMonth is what the service's instances or tasks of each region
	// send out through the region's NAT gateways.
	NATGBPerMonth float64
	// DatabaseGB is what the service's database holds, in each region
	// that keeps a copy.
	DatabaseGB float64
	// BackupGB is what the service's backups hold in each vault (the
	// source region's and each copy_to region's); a month copies that
	// much to each copy_to region.
	BackupGB float64
	// LCU is the load balancer capacity units each of the service's load
	// balancers uses on average.
	LCU float64
	// DNSQueriesPerMonth are the DNS queries for the service's name.
	DNSQueriesPerMonth float64
	// From says where each figure came from, by attribute name:
	// UsageDefault, UsageEnvironment or UsageService.
	From      map[string]string
	DeclRange hcl.Range
}

// Where a usage figure came from.
const (
	UsageDefault     = "default"
	UsageEnvironment = "environment"
	UsageService     = "service"
)

// UsageField is one attribute of a usage block.
type UsageField struct {
	Name    string
	Default float64
	// Unit is what the figure counts, for bases and documentation.
	Unit string
	get  func(*Usage) *float64
}

// UsageFields lists the usage block's attributes with their defaults, in
// documentation order.
var UsageFields = []UsageField{
	{"requests_per_month", 10_000_000, "requests", func(u *Usage) *float64 { return &u.RequestsPerMonth }},
	{"writes_per_month", 1_000_000, "writes", func(u *Usage) *float64 { return &u.WritesPerMonth }},
	{"gb_out_per_month", 50, "GB", func(u *Usage) *float64 { return &u.GBOutPerMonth }},
	{"gb_between_regions_per_month", 20, "GB", func(u *Usage) *float64 { return &u.GBBetweenRegionsPerMonth }},
	{"nat_gb_per_month", 5, "GB", func(u *Usage) *float64 { return &u.NATGBPerMonth }},
	{"database_gb", 20, "GB", func(u *Usage) *float64 { return &u.DatabaseGB }},
	{"backup_gb", 40, "GB", func(u *Usage) *float64 { return &u.BackupGB }},
	{"lcu", 1, "LCU", func(u *Usage) *float64 { return &u.LCU }},
	{"dns_queries_per_month", 1_000_000, "queries", func(u *Usage) *float64 { return &u.DNSQueriesPerMonth }},
}

// MaxUsage bounds every usage figure: larger is a typo, not a month.
const MaxUsage = 1e15

// DefaultUsage is the usage of a file that says none.
func DefaultUsage() Usage {
	u := Usage{From: map[string]string{}}
	for _, f := range UsageFields {
		*f.get(&u) = f.Default
		u.From[f.Name] = UsageDefault
	}
	return u
}

// Value reads a figure by attribute name (0 and false for an unknown name).
func (u Usage) Value(name string) (float64, bool) {
	for _, f := range UsageFields {
		if f.Name == name {
			return *f.get(&u), true
		}
	}
	return 0, false
}

// Source says where a figure came from: "default", "environment" or "service".
func (u Usage) Source(name string) string {
	if s := u.From[name]; s != "" {
		return s
	}
	return UsageDefault
}

// DefaultPrices is the price folder of an environment that names none,
// relative to the project root: the extract of AWS's offer files the
// project ships.
const DefaultPrices = "pricing/aws"
