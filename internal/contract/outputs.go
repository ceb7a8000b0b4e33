package contract

// Stack output keys. The stacks (package stacks) and the target modules
// (modules/aws, modules/local) write a stack's outputs; the target modules
// read a regional stack's outputs back in the global stack (DNS records to
// each region's endpoint) and in the next run (modules/aws
// ImageFromOutputs, BlueGreenFromOutputs), and the orchestrator, the CLI
// (bulwark outputs), rebuild, drift and the tests read them after an up.
// A key is lower snake case, as Terraform and Pulumi outputs are by habit.

// A regional stack's outputs (<env>.<region>).
const (
	// OutputRegion is the region's name.
	OutputRegion = "region"
	// OutputPrimary is, in a regional stack, whether the region is the
	// environment's primary; in the global stack, the primary region's
	// name.
	OutputPrimary = "primary"
	// OutputZones is how many availability zones the region uses.
	OutputZones = "zones"
	// OutputServices holds, by service name, each service's outputs in
	// the region (the Service* keys below).
	OutputServices = "services"
	// OutputLayers holds, by layer name, the outputs of the Terraform
	// layers that ran before the stacks (secrets kept secret).
	OutputLayers = "layers"
)

// A service's outputs in a regional stack, under OutputServices.
const (
	// OutputMode is the service's mode (active-active, hot-standby...).
	OutputMode = "mode"
	// OutputImage is the image the service runs: the topology's image
	// name, which the target overrides with the image's digest (the AMI
	// or container image, or the local artifact).
	OutputImage = "image"
	// OutputPort is the port the service serves on.
	OutputPort = "port"
	// OutputCapacity is the service's min, desired and max capacity.
	OutputCapacity = "capacity"
	// OutputFQDN is the service's DNS name.
	OutputFQDN = "fqdn"
	// OutputEndpoint is where the region's load balancer answers (aws:
	// the ALB's DNS name; local: the balancer's address:port); the global
	// stack points the service's DNS records at it.
	OutputEndpoint = "endpoint"
	// OutputEndpointZoneID is the ALB's hosted zone, for alias records.
	OutputEndpointZoneID = "endpoint_zone_id"
	// OutputImageBuild is the build ID of the image the service runs.
	OutputImageBuild = "image_build"
	// OutputBlueGreen is a blue-green service's state: which colour is
	// live (OutputBlueGreenLive) and each colour's group and image
	// (OutputBlueGreenGroups).
	OutputBlueGreen = "blue_green"
	// OutputDatabase is the region's database member's endpoint.
	OutputDatabase = "database"
	// OutputDatabaseRole is that member's role (primary, replica).
	OutputDatabaseRole = "database_role"
	// OutputLoadBalancer and OutputTargetGroup are the ALB's and its live
	// target group's ARN suffixes, as CloudWatch's dimensions name them.
	OutputLoadBalancer = "load_balancer"
	OutputTargetGroup  = "target_group"
	// OutputAlarmTopic is the SNS topic alarms notify (also a global
	// stack's output: the global alarms' topic).
	OutputAlarmTopic = "alarm_topic"
	// OutputAlarms are the names of the service's CloudWatch alarms.
	OutputAlarms = "alarms"
	// OutputFISZoneLoss is the service's zone-loss experiment template.
	OutputFISZoneLoss = "fis_zone_loss"
	// OutputInstances are the local target's instances' addresses.
	OutputInstances = "instances"
	// OutputQueue is where the region's write queue answers (a NATS URL,
	// an SQS queue URL); OutputCache is the cache's address (the local
	// target's nginx in the region; aws: the CloudFront distribution's
	// domain, in the global stack).
	OutputQueue = "queue"
	OutputCache = "cache"
)

// Inside OutputBlueGreen.
const (
	// OutputBlueGreenLive is the colour that serves.
	OutputBlueGreenLive = "live"
	// OutputBlueGreenGroups holds, by colour, OutputColourGroup,
	// OutputImage and OutputColourBuild.
	OutputBlueGreenGroups = "groups"
	// OutputColourGroup is the colour's autoscaling group.
	OutputColourGroup = "group"
	// OutputColourBuild is the build ID of the colour's image.
	OutputColourBuild = "build"
)

// The global stack's outputs (<env>.global), besides OutputPrimary and
// OutputAlarmTopic.
const (
	// OutputEnvironment and OutputTarget are the environment's name and
	// target.
	OutputEnvironment = "environment"
	OutputTarget      = "target"
	// OutputRegions holds every regional stack's outputs, by region.
	OutputRegions = "regions"
	// OutputDNS holds each service's DNS name, by service.
	OutputDNS = "dns"
	// OutputEndpoints holds, on aws, each service's health-checked
	// records.
	OutputEndpoints = "endpoints"
	// OutputDashboard is, on aws, the CloudWatch dashboard's name.
	OutputDashboard = "dashboard"
	// OutputDNSServer is, on the local target, the DNS server's address.
	OutputDNSServer = "dns_server"
	// OutputPrometheus is, on the local target, the monitor's Prometheus
	// address.
	OutputPrometheus = "prometheus"
)

// RegionalOutputKeys, ServiceOutputKeys, BlueGreenOutputKeys and
// GlobalOutputKeys are the keys of each level, for checks that each
// level's keys stay distinct.
func RegionalOutputKeys() []string {
	return []string{OutputRegion, OutputPrimary, OutputZones, OutputServices, OutputLayers}
}

// ServiceOutputKeys: see RegionalOutputKeys.
func ServiceOutputKeys() []string {
	return []string{OutputMode, OutputImage, OutputPort, OutputCapacity, OutputFQDN, OutputEndpoint, OutputEndpointZoneID,
		OutputImageBuild, OutputBlueGreen, OutputDatabase, OutputDatabaseRole, OutputLoadBalancer, OutputTargetGroup,
		OutputAlarmTopic, OutputAlarms, OutputFISZoneLoss, OutputInstances, OutputQueue, OutputCache}
}

// BlueGreenOutputKeys: see RegionalOutputKeys.
func BlueGreenOutputKeys() []string {
	return []string{OutputBlueGreenLive, OutputBlueGreenGroups, OutputColourGroup, OutputImage, OutputColourBuild}
}

// GlobalOutputKeys: see RegionalOutputKeys.
func GlobalOutputKeys() []string {
	return []string{OutputEnvironment, OutputTarget, OutputPrimary, OutputRegions, OutputDNS, OutputEndpoints,
		OutputAlarmTopic, OutputDashboard, OutputDNSServer, OutputPrometheus, OutputLayers}
}
