package pricing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// shipped is the extract the project ships, from this package's folder.
var shipped = filepath.Join("..", "..", "pricing", "aws")

var (
	loadOnce sync.Once
	loaded   *Catalog
	loadErr  error
)

func catalog(t *testing.T) *Catalog {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = Load(shipped) })
	if loadErr != nil {
		t.Fatalf("Load(%s): %v", shipped, loadErr)
	}
	return loaded
}

// The figures below are written out by hand from the extract's files (and
// pricing/aws/README.md's table), never computed by the code under test.
func TestShippedRates(t *testing.T) {
	c := catalog(t)
	cases := []struct {
		name string
		get  func() (Rate, error)
		usd  float64
		unit string
		file string // offer/region
	}{
		{"EC2 t3.small us-east-1", func() (Rate, error) { return c.EC2Instance("us-east-1", "t3.small") }, 0.0208, "Hrs", "AmazonEC2/us-east-1"},
		{"EC2 m6i.large us-east-1", func() (Rate, error) { return c.EC2Instance("us-east-1", "m6i.large") }, 0.096, "Hrs", "AmazonEC2/us-east-1"},
		{"EC2 t3.small us-west-2 (USW2- usagetype)", func() (Rate, error) { return c.EC2Instance("us-west-2", "t3.small") }, 0.0208, "Hrs", "AmazonEC2/us-west-2"},
		{"EC2 t3.small eu-west-1", func() (Rate, error) { return c.EC2Instance("eu-west-1", "t3.small") }, 0.0228, "Hrs", "AmazonEC2/eu-west-1"},
		{"EBS gp3 us-east-1", func() (Rate, error) { return c.EBSStorage("us-east-1", "gp3") }, 0.08, "GB-Mo", "AmazonEC2/us-east-1"},
		{"EBS gp2 us-east-1", func() (Rate, error) { return c.EBSStorage("us-east-1", "gp2") }, 0.10, "GB-Mo", "AmazonEC2/us-east-1"},
		{"EBS gp3 eu-west-1", func() (Rate, error) { return c.EBSStorage("eu-west-1", "gp3") }, 0.088, "GB-Mo", "AmazonEC2/eu-west-1"},
		{"NAT hour us-east-1", func() (Rate, error) { return c.NATGatewayHour("us-east-1") }, 0.045, "Hrs", "AmazonEC2/us-east-1"},
		{"NAT GB us-east-1", func() (Rate, error) { return c.NATGatewayGB("us-east-1") }, 0.045, "GB", "AmazonEC2/us-east-1"},
		{"NAT hour eu-west-1", func() (Rate, error) { return c.NATGatewayHour("eu-west-1") }, 0.048, "Hrs", "AmazonEC2/eu-west-1"},
		{"ALB hour us-east-1", func() (Rate, error) { return c.ALBHour("us-east-1") }, 0.0225, "Hrs", "AWSELB/us-east-1"},
		{"ALB LCU-hour us-east-1", func() (Rate, error) { return c.ALBLCUHour("us-east-1") }, 0.008, "LCU-Hrs", "AWSELB/us-east-1"},
		{"ALB hour eu-west-1", func() (Rate, error) { return c.ALBHour("eu-west-1") }, 0.0252, "Hrs", "AWSELB/eu-west-1"},
		{"Aurora db.r6g.large us-east-1", func() (Rate, error) { return c.AuroraInstance("us-east-1", "db.r6g.large") }, 0.26, "Hrs", "AmazonRDS/us-east-1"},
		{"Aurora db.t4g.medium us-east-1", func() (Rate, error) { return c.AuroraInstance("us-east-1", "db.t4g.medium") }, 0.073, "Hrs", "AmazonRDS/us-east-1"},
		{"Aurora db.r6g.large eu-west-1", func() (Rate, error) { return c.AuroraInstance("eu-west-1", "db.r6g.large") }, 0.288, "Hrs", "AmazonRDS/eu-west-1"},
		{"Aurora storage us-east-1", func() (Rate, error) { return c.AuroraStorageGB("us-east-1") }, 0.10, "GB-Mo", "AmazonRDS/us-east-1"},
		{"Aurora I/O us-east-1", func() (Rate, error) { return c.AuroraIO("us-east-1") }, 0.20, "million IOs", "AmazonRDS/us-east-1"},
		{"Aurora I/O eu-west-1", func() (Rate, error) { return c.AuroraIO("eu-west-1") }, 0.22, "million IOs", "AmazonRDS/eu-west-1"},
		{"Aurora replicated write I/O us-west-2", func() (Rate, error) { return c.AuroraReplicatedWriteIO("us-west-2") }, 0.20, "million IOs", "AmazonRDS/us-west-2"},
		{"Aurora replicated write I/O us-east-1", func() (Rate, error) { return c.AuroraReplicatedWriteIO("us-east-1") }, 0.20, "million IOs", "AmazonRDS/us-east-1"},
		{"DynamoDB write us-east-1", func() (Rate, error) { return c.DynamoDBWrite("us-east-1") }, 0.625, "million WriteRequestUnits", "AmazonDynamoDB/us-east-1"},
		{"DynamoDB read us-east-1", func() (Rate, error) { return c.DynamoDBRead("us-east-1") }, 0.125, "million ReadRequestUnits", "AmazonDynamoDB/us-east-1"},
		{"DynamoDB replicated write us-east-1", func() (Rate, error) { return c.DynamoDBReplicatedWrite("us-east-1") }, 0.625, "million ReplWriteRequestUnits", "AmazonDynamoDB/us-east-1"},
		{"DynamoDB write eu-west-1", func() (Rate, error) { return c.DynamoDBWrite("eu-west-1") }, 0.7068, "million WriteRequestUnits", "AmazonDynamoDB/eu-west-1"},
		{"DynamoDB storage us-east-1", func() (Rate, error) { return c.DynamoDBStorageGB("us-east-1") }, 0.25, "GB-Mo", "AmazonDynamoDB/us-east-1"},
		{"Route 53 health check, AWS endpoint", func() (Rate, error) { return c.Route53HealthCheck(true) }, 0.50, "Health-Checks", "AmazonRoute53/global"},
		{"Route 53 health check, other endpoint", func() (Rate, error) { return c.Route53HealthCheck(false) }, 0.75, "Health-Checks", "AmazonRoute53/global"},
		{"Route 53 HTTPS surcharge", func() (Rate, error) { return c.Route53HealthCheckHTTPS() }, 1.00, "Health-Checks", "AmazonRoute53/global"},
		{"Route 53 standard queries", func() (Rate, error) { return c.Route53Queries(false) }, 0.40, "million Queries", "AmazonRoute53/global"},
		{"Route 53 latency queries", func() (Rate, error) { return c.Route53Queries(true) }, 0.60, "million Queries", "AmazonRoute53/global"},
		{"Route 53 hosted zone", func() (Rate, error) { return c.Route53HostedZone() }, 0.50, "HostedZone", "AmazonRoute53/global"},
		{"CloudWatch alarm us-east-1", func() (Rate, error) { return c.CloudWatchAlarm("us-east-1") }, 0.10, "Alarms", "AmazonCloudWatch/us-east-1"},
		{"SQS requests us-east-1", func() (Rate, error) { return c.SQSRequests("us-east-1") }, 0.40, "million Requests", "AWSQueueService/us-east-1"},
		{"CloudFront GB United States", func() (Rate, error) { return c.CloudFrontGB("United States") }, 0.085, "GB", "AmazonCloudFront/global"},
		{"CloudFront HTTPS United States", func() (Rate, error) { return c.CloudFrontHTTPSRequests("United States") }, 0.01, "10,000 Requests", "AmazonCloudFront/global"},
		{"CloudFront HTTPS Europe", func() (Rate, error) { return c.CloudFrontHTTPSRequests("Europe") }, 0.012, "10,000 Requests", "AmazonCloudFront/global"},
		{"inter-region us-east-1 to us-west-2", func() (Rate, error) { return c.InterRegionGB("us-east-1", "us-west-2") }, 0.02, "GB", "AWSDataTransfer/us-east-1"},
		{"inter-region eu-west-1 to us-east-1", func() (Rate, error) { return c.InterRegionGB("eu-west-1", "us-east-1") }, 0.02, "GB", "AWSDataTransfer/eu-west-1"},
		{"internet out us-east-1, first paid tier", func() (Rate, error) { return c.InternetOutGB("us-east-1") }, 0.09, "GB", "AWSDataTransfer/us-east-1"},
		{"backup Aurora storage us-east-1", func() (Rate, error) { return c.BackupStorageGB("us-east-1") }, 0.021, "GB-Mo", "AWSBackup/us-east-1"},
		{"Fargate vCPU-hour us-east-1", func() (Rate, error) { return c.FargateVCPUHour("us-east-1") }, 0.04048, "hours", "AmazonECS/us-east-1"},
		{"Fargate GB-hour us-east-1", func() (Rate, error) { return c.FargateGBHour("us-east-1") }, 0.004445, "GB-Hours", "AmazonECS/us-east-1"},
		{"Fargate vCPU-hour eu-west-1", func() (Rate, error) { return c.FargateVCPUHour("eu-west-1") }, 0.04456, "hours", "AmazonECS/eu-west-1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.get()
			if err != nil {
				t.Fatal(err)
			}
			if r.USD != tc.usd {
				t.Errorf("USD = %v, want %v (%s)", r.USD, tc.usd, r.Description)
			}
			if r.Unit != tc.unit {
				t.Errorf("Unit = %q, want %q", r.Unit, tc.unit)
			}
			offer, region, _ := strings.Cut(tc.file, "/")
			if r.Offer != offer || r.Region != region {
				t.Errorf("Offer, Region = %s, %s; want %s, %s", r.Offer, r.Region, offer, region)
			}
			if want := filepath.Join(shipped, offer, region+".json"); r.File != want {
				t.Errorf("File = %s, want %s", r.File, want)
			}
			if r.SKU == "" || r.Description == "" {
				t.Errorf("rate without SKU or description: %+v", r)
			}
		})
	}
}

func TestPublished(t *testing.T) {
	p := catalog(t).Published()
	for _, k := range []string{"AmazonEC2/us-east-1", "AmazonEC2/us-west-2", "AmazonEC2/eu-west-1",
		"AmazonRoute53/global", "AmazonCloudFront/global", "AWSDataTransfer/eu-west-1", "AmazonECS/us-west-2"} {
		if p[k] != "2025-01-01T00:00:00Z" {
			t.Errorf("Published()[%s] = %q, want 2025-01-01T00:00:00Z", k, p[k])
		}
	}
	if len(p) != 9*3+2 {
		t.Errorf("Published() has %d files, want 29 (9 regional offers x 3 regions + 2 global): %v", len(p), p)
	}
}

func TestMissingPrice(t *testing.T) {
	c := catalog(t)
	cases := []struct {
		name string
		get  func() (Rate, error)
		want []string
	}{
		{"unknown instance type", func() (Rate, error) { return c.EC2Instance("us-east-1", "x9.huge") },
			[]string{"AmazonEC2", "us-east-1", `instanceType "x9.huge"`, `usagetype "BoxUsage:x9.huge"`,
				filepath.Join(shipped, "AmazonEC2", "us-east-1.json")}},
		{"region without a file", func() (Rate, error) { return c.ALBHour("ap-south-1") },
			[]string{"AWSELB", "ap-south-1", "Application Load Balancer hour", filepath.Join(shipped, "AWSELB", "ap-south-1.json")}},
		{"unknown volume type", func() (Rate, error) { return c.EBSStorage("eu-west-1", "io2") },
			[]string{"AmazonEC2", "eu-west-1", `volumeApiName "io2"`, filepath.Join(shipped, "AmazonEC2", "eu-west-1.json")}},
		{"same region", func() (Rate, error) { return c.InterRegionGB("us-east-1", "us-east-1") },
			[]string{"AWSDataTransfer", "us-east-1", `toRegionCode "us-east-1"`}},
		{"unknown CloudFront area", func() (Rate, error) { return c.CloudFrontGB("Antarctica") },
			[]string{"AmazonCloudFront", "global", `fromLocation "Antarctica"`, filepath.Join(shipped, "AmazonCloudFront", "global.json")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.get()
			if !errors.Is(err, ErrNoPrice) {
				t.Fatalf("err = %v, want ErrNoPrice", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// writeTree writes a full price folder of minimal, valid offer files (one
// region each) and returns it; files overrides or adds files by relative
// path.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, offer := range Offers {
		if err := os.MkdirAll(filepath.Join(dir, offer), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for rel, body := range files {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A team's own folder: one hand-written offer file, in AWS's format, with
// AWS's free tier left in and a us-east-2 usagetype prefix.
const teamEC2 = `{
  "formatVersion" : "v1.0",
  "disclaimer" : "a team's copy",
  "offerCode" : "AmazonEC2",
  "version" : "20250301000000",
  "publicationDate" : "2025-03-01T00:00:00Z",
  "products" : {
    "ABCDEFGHJKLMNPQR" : {
      "sku" : "ABCDEFGHJKLMNPQR",
      "productFamily" : "Compute Instance",
      "attributes" : {
        "location" : "US East (Ohio)",
        "locationType" : "AWS Region",
        "regionCode" : "us-east-2",
        "instanceType" : "t3.small",
        "tenancy" : "Shared",
        "operatingSystem" : "Linux",
        "licenseModel" : "No License required",
        "usagetype" : "USE2-BoxUsage:t3.small",
        "operation" : "RunInstances",
        "capacitystatus" : "Used",
        "preInstalledSw" : "NA"
      }
    },
    "WINDOWSWINDOWS12" : {
      "sku" : "WINDOWSWINDOWS12",
      "productFamily" : "Compute Instance",
      "attributes" : {
        "locationType" : "AWS Region",
        "instanceType" : "t3.small",
        "tenancy" : "Shared",
        "operatingSystem" : "Windows",
        "licenseModel" : "No License required",
        "usagetype" : "USE2-BoxUsage:t3.small",
        "capacitystatus" : "Used",
        "preInstalledSw" : "NA"
      }
    },
    "NATNATNATNATNAT1" : {
      "sku" : "NATNATNATNATNAT1",
      "productFamily" : "NAT Gateway",
      "attributes" : {
        "locationType" : "AWS Region",
        "usagetype" : "USE2-NatGateway-Bytes"
      }
    }
  },
  "terms" : {
    "OnDemand" : {
      "ABCDEFGHJKLMNPQR" : {
        "ABCDEFGHJKLMNPQR.JRTCKXETXF" : {
          "offerTermCode" : "JRTCKXETXF",
          "sku" : "ABCDEFGHJKLMNPQR",
          "effectiveDate" : "2025-03-01T00:00:00Z",
          "priceDimensions" : {
            "ABCDEFGHJKLMNPQR.JRTCKXETXF.6YS6EN2CT7" : {
              "rateCode" : "ABCDEFGHJKLMNPQR.JRTCKXETXF.6YS6EN2CT7",
              "description" : "$0.0208 per On Demand Linux t3.small Instance Hour",
              "beginRange" : "0",
              "endRange" : "Inf",
              "unit" : "Hrs",
              "pricePerUnit" : { "USD" : "0.0208000000" },
              "appliesTo" : [ ]
            }
          },
          "termAttributes" : { }
        }
      },
      "WINDOWSWINDOWS12" : {
        "WINDOWSWINDOWS12.JRTCKXETXF" : {
          "offerTermCode" : "JRTCKXETXF",
          "sku" : "WINDOWSWINDOWS12",
          "effectiveDate" : "2025-03-01T00:00:00Z",
          "priceDimensions" : {
            "WINDOWSWINDOWS12.JRTCKXETXF.6YS6EN2CT7" : {
              "rateCode" : "WINDOWSWINDOWS12.JRTCKXETXF.6YS6EN2CT7",
              "description" : "$0.0392 per On Demand Windows t3.small Instance Hour",
              "beginRange" : "0",
              "endRange" : "Inf",
              "unit" : "Hrs",
              "pricePerUnit" : { "USD" : "0.0392000000" },
              "appliesTo" : [ ]
            }
          },
          "termAttributes" : { }
        }
      },
      "NATNATNATNATNAT1" : {
        "NATNATNATNATNAT1.JRTCKXETXF" : {
          "offerTermCode" : "JRTCKXETXF",
          "sku" : "NATNATNATNATNAT1",
          "effectiveDate" : "2025-03-01T00:00:00Z",
          "priceDimensions" : {
            "NATNATNATNATNAT1.JRTCKXETXF.FREE000000" : {
              "rateCode" : "NATNATNATNATNAT1.JRTCKXETXF.FREE000000",
              "description" : "a free first tier",
              "beginRange" : "0",
              "endRange" : "1",
              "unit" : "GB",
              "pricePerUnit" : { "USD" : "0.0000000000" },
              "appliesTo" : [ ]
            },
            "NATNATNATNATNAT1.JRTCKXETXF.PAID000000" : {
              "rateCode" : "NATNATNATNATNAT1.JRTCKXETXF.PAID000000",
              "description" : "$0.045 per GB Data Processed by NAT Gateways",
              "beginRange" : "1",
              "endRange" : "Inf",
              "unit" : "GB",
              "pricePerUnit" : { "USD" : "0.0450000000" },
              "appliesTo" : [ ]
            }
          },
          "termAttributes" : { }
        }
      }
    },
    "Reserved" : { }
  }
}
`

func TestTeamFolder(t *testing.T) {
	dir := writeTree(t, map[string]string{"AmazonEC2/us-east-2.json": teamEC2, "AmazonEC2/notes.txt": "not a price file"})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.EC2Instance("us-east-2", "t3.small")
	if err != nil {
		t.Fatal(err)
	}
	want := Rate{Offer: "AmazonEC2", Region: "us-east-2", SKU: "ABCDEFGHJKLMNPQR", Unit: "Hrs",
		Description: "$0.0208 per On Demand Linux t3.small Instance Hour", USD: 0.0208,
		File: filepath.Join(dir, "AmazonEC2", "us-east-2.json")}
	if r != want {
		t.Errorf("EC2Instance = %+v, want %+v", r, want)
	}
	// the free tier a team's file may hold is skipped for the first paid one
	if r, err := c.NATGatewayGB("us-east-2"); err != nil || r.USD != 0.045 {
		t.Errorf("NATGatewayGB = %+v, %v; want 0.045 (the first paid tier)", r, err)
	}
	if got := c.Published(); len(got) != 1 || got["AmazonEC2/us-east-2"] != "2025-03-01T00:00:00Z" {
		t.Errorf("Published() = %v", got)
	}
	if _, err := c.ALBHour("us-east-2"); !errors.Is(err, ErrNoPrice) {
		t.Errorf("ALBHour from an empty AWSELB folder: err = %v, want ErrNoPrice", err)
	}
}

func TestMalformedFiles(t *testing.T) {
	cases := []struct {
		name, rel, body string
		want            []string // in the error, besides the file's path
	}{
		{"syntax error", "AmazonRDS/us-east-1.json", "{\n  \"formatVersion\": \"v1.0\",\n  \"offerCode\": \"AmazonRDS\",\n  \"products\": {,\n}\n",
			[]string{"us-east-1.json:4:16:", "not valid JSON"}},
		{"truncated", "AmazonEC2/us-east-1.json", "{\n  \"offerCode\": \"AmazonEC2\",\n  \"products\": {\n",
			[]string{"us-east-1.json:3:", "not valid JSON"}},
		{"wrong type", "AWSELB/eu-west-1.json", "{\n  \"offerCode\": \"AWSELB\",\n  \"products\": [1, 2]\n}\n",
			[]string{"eu-west-1.json:3:", "not an offer file"}},
		{"not an object", "AmazonECS/us-west-2.json", "[]\n", []string{"us-west-2.json:1:", "not an offer file"}},
		{"no offerCode", "AWSBackup/us-east-1.json", `{"formatVersion": "v1.0", "products": {}, "terms": {}}`,
			[]string{"not an offer file: no offerCode"}},
		{"no products or terms", "AmazonCloudWatch/us-east-1.json", `{"offerCode": "AmazonCloudWatch"}`,
			[]string{"no products, terms"}},
		{"another offer's file", "AmazonDynamoDB/us-east-1.json", `{"offerCode": "AmazonRDS", "products": {}, "terms": {}}`,
			[]string{`offerCode is "AmazonRDS", not "AmazonDynamoDB"`}},
		{"a price that is not a number", "AWSQueueService/us-east-1.json", `{"offerCode": "AWSQueueService",
  "products": {"S1": {"sku": "S1", "productFamily": "API Request", "attributes": {}}},
  "terms": {"OnDemand": {"S1": {"S1.JRTCKXETXF": {"sku": "S1", "priceDimensions": {"S1.JRTCKXETXF.R": {"pricePerUnit": {"USD": "cheap"}}}}}}}}`,
			[]string{"sku S1", "S1.JRTCKXETXF.R", `"cheap"`}},
		{"a price with no USD", "AWSQueueService/us-east-1.json", `{"offerCode": "AWSQueueService",
  "products": {"S1": {"sku": "S1", "productFamily": "API Request", "attributes": {}}},
  "terms": {"OnDemand": {"S1": {"S1.JRTCKXETXF": {"sku": "S1", "priceDimensions": {"S1.JRTCKXETXF.R": {"pricePerUnit": {"CNY": "1"}}}}}}}}`,
			[]string{"sku S1", "no pricePerUnit USD"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, map[string]string{tc.rel: tc.body})
			_, err := Load(dir)
			if !errors.Is(err, ErrPriceFile) {
				t.Fatalf("err = %v, want ErrPriceFile", err)
			}
			for _, w := range append([]string{filepath.Join(dir, tc.rel)}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func TestMissingFolder(t *testing.T) {
	dir := writeTree(t, nil)
	if err := os.Remove(filepath.Join(dir, "AWSDataTransfer")); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if !errors.Is(err, ErrPriceFile) || !strings.Contains(err.Error(), filepath.Join(dir, "AWSDataTransfer")) {
		t.Fatalf("err = %v, want ErrPriceFile naming %s", err, filepath.Join(dir, "AWSDataTransfer"))
	}
	_, err = Load(filepath.Join(dir, "nowhere"))
	if !errors.Is(err, ErrPriceFile) || !strings.Contains(err.Error(), filepath.Join(dir, "nowhere")) {
		t.Fatalf("err = %v, want ErrPriceFile naming the folder", err)
	}
}

// Two products matching one lookup at different prices are no single
// price: the error names both SKUs.
func TestAmbiguousPrice(t *testing.T) {
	second := strings.ReplaceAll(teamEC2, `"operatingSystem" : "Windows"`, `"operatingSystem" : "Linux"`)
	c, err := Load(writeTree(t, map[string]string{"AmazonEC2/us-east-2.json": second}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.EC2Instance("us-east-2", "t3.small")
	if !errors.Is(err, ErrNoPrice) || !strings.Contains(err.Error(), "ABCDEFGHJKLMNPQR, WINDOWSWINDOWS12") {
		t.Fatalf("err = %v, want ErrNoPrice naming both SKUs", err)
	}
}

func TestUsageIs(t *testing.T) {
	for _, tc := range []struct {
		u, want string
		ok      bool
	}{
		{"BoxUsage:t3.small", "BoxUsage:t3.small", true},
		{"USW2-BoxUsage:t3.small", "BoxUsage:t3.small", true},
		{"EU-NatGateway-Hours", "NatGateway-Hours", true},
		{"USE1-Fargate-GB-Hours", "Fargate-GB-Hours", true},
		{"USE1-BOS1-EBS:VolumeUsage.gp3", "EBS:VolumeUsage.gp3", false}, // a Local Zone
		{"Intra-AWS-DNS-Queries", "DNS-Queries", false},
		{"BoxUsage:t3.small", "BoxUsage:t3.smal", false},
		{"InstanceUsageIOOptimized:db.r6g.large", "InstanceUsage:db.r6g.large", false},
	} {
		if got := usageIs(tc.u, tc.want); got != tc.ok {
			t.Errorf("usageIs(%q, %q) = %v, want %v", tc.u, tc.want, got, tc.ok)
		}
	}
}

// The budget: pricing 3 regions x 20 services in under 100 ms warm.
// Loading the extract and asking every lookup in every region is well
// inside it; the bound here is loose so a busy machine does not fail it.
func TestLoadAndLookupsFast(t *testing.T) {
	start := time.Now()
	c, err := Load(shipped)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
			if _, err := c.EC2Instance(region, "t3.small"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AuroraInstance(region, "db.r6g.large"); err != nil {
				t.Fatal(err)
			}
			if _, err := c.InterRegionGB(region, "us-east-1"); err != nil && region != "us-east-1" {
				t.Fatal(err)
			}
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Load and 180 lookups took %v", d)
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(shipped); err != nil {
			b.Fatal(err)
		}
	}
}
