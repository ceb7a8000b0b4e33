package aws

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v7/go/aws/cloudfront"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/bulwark-dev/bulwark/internal/contract"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// A service's cache on AWS (its cache block), in the global stack: a
// CloudFront distribution in front of the service's regional load
// balancers. Its cached paths go to an origin group that fails over from
// the primary region's load balancer to the next region's on a 5xx, and
// are kept for the cache's TTL; every other path and method passes
// through uncached to the primary region's load balancer. The service's
// instances put contract.CacheControlValue on the cached answers
// (max-age = ttl, stale-if-error = stale_for); CloudFront honours
// stale-if-error, serving what it holds for that long past its expiry
// while the origins answer with errors or not at all
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html).

// Managed CloudFront policies, by their documented IDs.
const (
	// CachingDisabledPolicy caches nothing
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html).
	CachingDisabledPolicy = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	// AllViewerExceptHostHeaderPolicy forwards every header, cookie and
	// query string of the viewer's but the Host header, so the load
	// balancer sees its own name
	// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html).
	AllViewerExceptHostHeaderPolicy = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// FailoverStatusCodes are the origin answers on which CloudFront tries
// the origin group's second member: the server errors (a timeout or a
// refused connection fails over too).
var FailoverStatusCodes = []int{500, 502, 503, 504}

// OriginGroupID is the ID the cached behaviours name the origin group by.
const OriginGroupID = "failover"

// CachePolicyName names a service's cache policy (policies are the
// account's, not a distribution's: the environment's name keeps them
// apart), within CloudFront's 128 characters.
func CachePolicyName(t *topology.Topology, service string) string {
	return BoundedName(fmt.Sprintf("bulwark-%s-%s", t.Environment.Name, service), 128, "-")
}

// CachePathPattern is the path pattern of a cached path prefix: the
// prefix and everything below it.
func CachePathPattern(prefix string) string {
	return strings.TrimSuffix(prefix, "*") + "*"
}

// CacheMaxTTL is the longest CloudFront keeps an answer: its TTL and the
// time it may be served stale, within a year (CloudFront's default and
// largest maximum TTL). An origin's max-age above it is cut to it;
// max-age is the TTL, so it never is.
func CacheMaxTTL(c topology.Cache) int {
	ttl := int(c.TTL.Seconds())
	return max(ttl, min(ttl+int(c.StaleFor.Seconds()), 31536000))
}

// newCache declares a service's distribution (the caller checked it has
// a cache block) and returns its domain name.
func newCache(ctx *pulumi.Context, name string, a GlobalArgs, s topology.Service, child []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	c := s.Cache
	if s.HTTPS != nil {
		// CloudFront checks an HTTPS origin's certificate against the
		// origin's domain name (the load balancer's, in amazonaws.com),
		// which the service's certificate does not name; over HTTP the
		// load balancer redirects to HTTPS
		// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-https-cloudfront-to-custom-origin.html)
		return pulumi.StringOutput{}, fmt.Errorf("a cache in front of a service with https is not supported on aws yet: CloudFront cannot verify the load balancers' certificates by their own names")
	}
	ttl := int(c.TTL.Seconds())
	policy, err := cloudfront.NewCachePolicy(ctx, name+"-cache", &cloudfront.CachePolicyArgs{
		Name:    pulumi.String(CachePolicyName(a.Topology, s.Name)),
		Comment: pulumi.Sprintf("bulwark: %s's cached paths, fresh %s and stale for %s on the origins' errors", s.Name, c.TTL, c.StaleFor),
		MinTtl:  pulumi.Int(0), DefaultTtl: pulumi.Int(ttl), MaxTtl: pulumi.Int(CacheMaxTTL(*c)),
		ParametersInCacheKeyAndForwardedToOrigin: &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginArgs{
			// read-only paths: the path and its query are the answer's key
			CookiesConfig:              &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginCookiesConfigArgs{CookieBehavior: pulumi.String("none")},
			HeadersConfig:              &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginHeadersConfigArgs{HeaderBehavior: pulumi.String("none")},
			QueryStringsConfig:         &cloudfront.CachePolicyParametersInCacheKeyAndForwardedToOriginQueryStringsConfigArgs{QueryStringBehavior: pulumi.String("all")},
			EnableAcceptEncodingGzip:   pulumi.Bool(true),
			EnableAcceptEncodingBrotli: pulumi.Bool(true),
		},
	}, child...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	primary, others := a.Topology.PrimaryRegionOf(s)
	regions := append([]string{primary}, others...)
	var origins cloudfront.DistributionOriginArray
	for _, region := range regions {
		origins = append(origins, cloudfront.DistributionOriginArgs{
			OriginId:   pulumi.String(region),
			DomainName: serviceOutput(a.Regions[region], s.Name, contract.OutputEndpoint),
			CustomOriginConfig: &cloudfront.DistributionOriginCustomOriginConfigArgs{
				HttpPort: pulumi.Int(80), HttpsPort: pulumi.Int(443), OriginProtocolPolicy: pulumi.String("http-only"),
				OriginSslProtocols: pulumi.StringArray{pulumi.String("TLSv1.2")},
			},
		})
	}
	cachedTarget := primary
	var groups cloudfront.DistributionOriginGroupArray
	if len(regions) > 1 {
		// an origin group has two members: the primary region's load
		// balancer, then the next region's
		cachedTarget = OriginGroupID
		codes := pulumi.IntArray{}
		for _, code := range FailoverStatusCodes {
			codes = append(codes, pulumi.Int(code))
		}
		groups = cloudfront.DistributionOriginGroupArray{cloudfront.DistributionOriginGroupArgs{
			OriginId:         pulumi.String(OriginGroupID),
			FailoverCriteria: &cloudfront.DistributionOriginGroupFailoverCriteriaArgs{StatusCodes: codes},
			Members: cloudfront.DistributionOriginGroupMemberArray{
				cloudfront.DistributionOriginGroupMemberArgs{OriginId: pulumi.String(regions[0])},
				cloudfront.DistributionOriginGroupMemberArgs{OriginId: pulumi.String(regions[1])},
			},
		}}
	}
	readOnly := pulumi.StringArray{pulumi.String("GET"), pulumi.String("HEAD")}
	var cached cloudfront.DistributionOrderedCacheBehaviorArray
	for _, p := range c.Paths {
		// an origin group takes only GET, HEAD and OPTIONS
		// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/high_availability_origin_failover.html)
		cached = append(cached, cloudfront.DistributionOrderedCacheBehaviorArgs{
			PathPattern: pulumi.String(CachePathPattern(p)), TargetOriginId: pulumi.String(cachedTarget),
			AllowedMethods: readOnly, CachedMethods: readOnly, CachePolicyId: policy.ID(),
			ViewerProtocolPolicy: pulumi.String("redirect-to-https"), Compress: pulumi.Bool(true),
		})
	}
	allMethods := pulumi.StringArray{}
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"} {
		allMethods = append(allMethods, pulumi.String(m))
	}
	dist, err := cloudfront.NewDistribution(ctx, name+"-cache", &cloudfront.DistributionArgs{
		Enabled: pulumi.Bool(true), IsIpv6Enabled: pulumi.Bool(true), HttpVersion: pulumi.String("http2and3"),
		Comment: pulumi.Sprintf("bulwark %s: %s's cache", a.Topology.Environment.Name, s.Name),
		Origins: origins, OriginGroups: groups,
		// everything else passes through, uncached, to the primary region
		DefaultCacheBehavior: &cloudfront.DistributionDefaultCacheBehaviorArgs{
			TargetOriginId: pulumi.String(primary), AllowedMethods: allMethods, CachedMethods: readOnly,
			CachePolicyId: pulumi.String(CachingDisabledPolicy), OriginRequestPolicyId: pulumi.String(AllViewerExceptHostHeaderPolicy),
			ViewerProtocolPolicy: pulumi.String("redirect-to-https"),
		},
		OrderedCacheBehaviors: cached,
		Restrictions: &cloudfront.DistributionRestrictionsArgs{GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{
			RestrictionType: pulumi.String("none"),
		}},
		ViewerCertificate: &cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)},
		Tags:              tags(a.Topology, "global", s.Name),
	}, child...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return dist.DomainName, nil
}
