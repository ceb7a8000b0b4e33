package contract

// Tag keys bulwark puts on the cloud resources it declares, and operations
// find those resources by. The aws target's modules (modules/aws: tags(),
// the backup plan's selection, the instance groups' launch templates, the
// zone-loss experiment) write them; operations read them to find what a
// stack made without reading its state: internal/awsrunbook (target
// groups, experiment templates by env, region, service, scenario),
// internal/imagerelease (the AMIs of one build), and policies (the image
// build an instance group runs). AWS allows tag keys of 1-128 characters
// of letters, digits, spaces and _.:/=+-@, not starting with aws:
// (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html);
// bulwark's own start with "bulwark:".
const (
	// TagEnvironment is the environment's name, on every resource.
	TagEnvironment = "bulwark:env"
	// TagRegion is the region of the stack that declared the resource, on
	// every resource.
	TagRegion = "bulwark:region"
	// TagService is the service a resource belongs to (absent on a
	// region's shared resources, such as its network).
	TagService = "bulwark:service"
	// TagManagedBy says which tool manages a resource; its value is
	// ManagedBy.
	TagManagedBy = "managed-by"
	// TagBackup marks a service's database for its AWS Backup plan's
	// selection (value: the service's name).
	TagBackup = "bulwark:backup"
	// TagColour is a blue-green service's instance group's colour (blue,
	// green), so an operator or an operation can tell the groups apart.
	TagColour = "bulwark:colour"
	// TagImageBuild is the build ID of the image an instance or task
	// runs; policies check every region runs one build.
	TagImageBuild = "bulwark:image-build"
	// TagParameters is the Parameter Store path an instance reads its
	// service's parameters from at boot.
	TagParameters = "bulwark:parameters"
	// TagParametersDigest is the digest of those parameters' values, so
	// a changed value makes a new launch template version.
	TagParametersDigest = "bulwark:parameters-digest"
	// TagScenario names the drill scenario a Fault Injection Service
	// experiment template rehearses (ScenarioZoneLoss); the drill finds its
	// template by it.
	TagScenario = "bulwark:scenario"
	// TagBuild is, on a golden AMI, the build it came from: the Packer
	// template sets it on the source image, image promotion
	// (internal/imagerelease) carries it onto every regional copy, and
	// verification reads it to prove the copies are one build.
	TagBuild = "bulwark:build"
	// TagSourceImage is, on a promoted AMI's copy, the AMI it was copied
	// from.
	TagSourceImage = "bulwark:source-image"
)

// ManagedBy is TagManagedBy's value on every resource bulwark declares.
const ManagedBy = "bulwark"

// ScenarioZoneLoss is TagScenario's value on a service's zone-loss
// experiment template.
const ScenarioZoneLoss = "zone-loss"

// TagKeys are every tag key above, for checks that they stay distinct.
func TagKeys() []string {
	return []string{TagEnvironment, TagRegion, TagService, TagManagedBy, TagBackup, TagColour, TagImageBuild,
		TagParameters, TagParametersDigest, TagScenario, TagBuild, TagSourceImage}
}
