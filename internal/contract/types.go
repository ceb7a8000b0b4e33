package contract

// Resource type tokens of the resources bulwark's own code declares
// (package:module:Type). The stacks, the target modules and the local
// provider plugin write them (register resources of these types); the
// policies, the plan, pull-request review and the resilience assessment
// read them, finding a stack's resources by type in its resource graph.
const (
	// The topology's component resources, which stacks (package stacks)
	// declares on every target: each regional stack's root, one per
	// service under it, and the global stack's root.
	TypeTopologyRegion      = "bulwark:topology:Region"
	TypeTopologyService     = "bulwark:topology:Service"
	TypeTopologyEnvironment = "bulwark:topology:Environment"

	// The aws target's component resources (modules/aws), each the parent
	// of the pulumi-aws resources that realise it.
	TypeAWSNetwork   = "bulwark:aws:Network"
	TypeAWSService   = "bulwark:aws:Service"
	TypeAWSDatastore = "bulwark:aws:Datastore"
	TypeAWSBackup    = "bulwark:aws:Backup"
	TypeAWSEndpoint  = "bulwark:aws:Endpoint"

	// The local target's custom resources: modules/local declares them,
	// the provider plugin (internal/localprovider, package LocalPackage,
	// module LocalModule) serves them.
	TypeLocalRegion        = "bulwark:local:Region"
	TypeLocalImage         = "bulwark:local:Image"
	TypeLocalInstanceGroup = "bulwark:local:InstanceGroup"
	TypeLocalLoadBalancer  = "bulwark:local:LoadBalancer"
	TypeLocalDatabase      = "bulwark:local:Database"
	TypeLocalBackupPlan    = "bulwark:local:BackupPlan"
	TypeLocalParameter     = "bulwark:local:Parameter"
	TypeLocalDnsServer     = "bulwark:local:DnsServer"
	TypeLocalDnsRecord     = "bulwark:local:DnsRecord"
	TypeLocalMonitor       = "bulwark:local:Monitor"
	// The degradation parts: a service's write queue and its cache in a
	// region, and a region's link to a service it calls.
	TypeLocalWriteQueue = "bulwark:local:WriteQueue"
	TypeLocalCache      = "bulwark:local:Cache"
	TypeLocalLink       = "bulwark:local:Link"
	// TypeLocalData is a trivial resource holding a value, for the
	// engine's scale benchmark (bench/scalestack).
	TypeLocalData = "bulwark:local:Data"
)

// LocalPackage and LocalModule make the local provider's tokens:
// LocalPackage:LocalModule:<Type>.
const (
	LocalPackage = "bulwark"
	LocalModule  = "local"
)

// LocalType is the token of the local provider's resource kind (its Go
// type's name, as the provider registers it): LocalType("Region") is
// TypeLocalRegion.
func LocalType(kind string) string {
	return LocalPackage + ":" + LocalModule + ":" + kind
}

// TypeTokens are every type token above.
func TypeTokens() []string {
	return []string{TypeTopologyRegion, TypeTopologyService, TypeTopologyEnvironment,
		TypeAWSNetwork, TypeAWSService, TypeAWSDatastore, TypeAWSBackup, TypeAWSEndpoint,
		TypeLocalRegion, TypeLocalImage, TypeLocalInstanceGroup, TypeLocalLoadBalancer, TypeLocalDatabase,
		TypeLocalBackupPlan, TypeLocalParameter, TypeLocalDnsServer, TypeLocalDnsRecord, TypeLocalMonitor, TypeLocalData,
		TypeLocalWriteQueue, TypeLocalCache, TypeLocalLink}
}
