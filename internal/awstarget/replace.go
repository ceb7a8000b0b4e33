package awstarget

import "strings"

// replaceKeys are, for the pulumi-aws types bulwark declares, the
// inputs whose change makes the provider replace the resource: the
// attributes the Terraform AWS provider marks ForceNew (pulumi-aws is
// bridged from it and its schema does not carry them). The list covers
// only the types bulwark uses; it is checked against the golden plans.
var replaceKeys = map[string][]string{
	"aws:ec2/vpc:Vpc":                                     {"cidrBlock", "ipv4IpamPoolId"},
	"aws:ec2/subnet:Subnet":                               {"vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"},
	"aws:ec2/routeTable:RouteTable":                       {"vpcId"},
	"aws:ec2/routeTableAssociation:RouteTableAssociation": {"subnetId", "gatewayId"},
	"aws:ec2/securityGroup:SecurityGroup":                 {"name", "namePrefix", "vpcId", "description"},
	"aws:ec2/natGateway:NatGateway":                       {"allocationId", "subnetId", "connectivityType", "privateIp"},
	"aws:ec2/eip:Eip":                                     {"domain", "networkBorderGroup", "publicIpv4Pool"},
	"aws:ec2/launchTemplate:LaunchTemplate":               {"name", "namePrefix"},
	"aws:autoscaling/group:Group":                         {"name", "namePrefix"},
	"aws:autoscaling/policy:Policy":                       {"name", "autoscalingGroupName"},
	"aws:lb/loadBalancer:LoadBalancer":                    {"name", "namePrefix", "internal", "loadBalancerType"},
	"aws:lb/targetGroup:TargetGroup":                      {"name", "namePrefix", "port", "protocol", "protocolVersion", "vpcId", "targetType", "ipAddressType"},
	"aws:lb/listener:Listener":                            {"loadBalancerArn"},
	"aws:rds/cluster:Cluster": {"clusterIdentifier", "clusterIdentifierPrefix", "databaseName", "engine", "engineMode", "kmsKeyId",
		"masterUsername", "storageEncrypted", "availabilityZones", "dbSubnetGroupName", "snapshotIdentifier"},
	"aws:rds/clusterInstance:ClusterInstance":                    {"identifier", "identifierPrefix", "clusterIdentifier", "engine", "availabilityZone", "dbSubnetGroupName"},
	"aws:rds/globalCluster:GlobalCluster":                        {"globalClusterIdentifier", "databaseName", "engine", "storageEncrypted", "sourceDbClusterIdentifier"},
	"aws:rds/subnetGroup:SubnetGroup":                            {"name", "namePrefix"},
	"aws:kms/key:Key":                                            {"customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"},
	"aws:kms/replicaKey:ReplicaKey":                              {"primaryKeyArn"},
	"aws:iam/role:Role":                                          {"name", "namePrefix", "path"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":          {"role", "policyArn"},
	"aws:iam/instanceProfile:InstanceProfile":                    {"name", "namePrefix", "path"},
	"aws:route53/record:Record":                                  {"zoneId", "name", "setIdentifier"},
	"aws:route53/healthCheck:HealthCheck":                        {"type", "referenceName", "requestInterval", "measureLatency", "routingControlArn"},
	"aws:backup/vault:Vault":                                     {"name", "kmsKeyArn"},
	"aws:backup/selection:Selection":                             {"name", "planId", "iamRoleArn", "resources", "notResources", "selectionTags", "conditions"},
	"aws:backup/restoreTestingPlan:RestoreTestingPlan":           {"name"},
	"aws:backup/restoreTestingSelection:RestoreTestingSelection": {"name", "restoreTestingPlanName", "protectedResourceType"},
	"aws:ecs/cluster:Cluster":                                    {"name"},
	"aws:ecs/service:Service":                                    {"name", "cluster", "launchType", "iamRole", "schedulingStrategy"},
	"aws:ecs/taskDefinition:TaskDefinition":                      {"family", "containerDefinitions", "cpu", "memory", "networkMode", "executionRoleArn", "taskRoleArn", "requiresCompatibilities", "volumes", "runtimePlatform"},
	"aws:cloudwatch/logGroup:LogGroup":                           {"name", "namePrefix"},
	"aws:appautoscaling/target:Target":                           {"resourceId", "scalableDimension", "serviceNamespace"},
	"aws:appautoscaling/policy:Policy":                           {"name", "resourceId", "scalableDimension", "serviceNamespace"},
	"aws:dynamodb/table:Table":                                   {"name", "hashKey", "rangeKey"},
	"aws:ec2/internetGateway:InternetGateway":                    {},
	"aws:backup/plan:Plan":                                       {},
	"pulumi:providers:aws":                                       {},
}

// ReplaceKeys are the inputs of a pulumi-aws type whose change replaces
// the resource, with "region" (pulumi-aws v7's per-resource region always
// replaces, whatever the type); known is false for a type the table lacks.
func (*Target) ReplaceKeys(typ string) ([]string, bool) {
	keys, known := replaceKeys[typ]
	if !strings.HasPrefix(typ, "aws:") {
		return keys, known
	}
	return append(append([]string{}, keys...), "region"), known
}
