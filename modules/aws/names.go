package aws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/bulwark-dev/bulwark/internal/topology"
)

// The names bulwark gives AWS resources that operations (drills, restores)
// find by name, each within the limits its API reference states. Long
// environment and service names are cut and end with a hash of the whole
// name, so two long names never collide.

// BoundedName fits a name derived from the environment's and a service's
// names into an AWS name limit: unchanged when it fits, else cut and ended
// with sep and 8 hex digits of its hash, so that two long names that
// share a beginning stay distinct. (AWS Backup takes plan, selection and
// restore testing names of at most 50 characters; IAM role names 64.)
func BoundedName(name string, max int, sep string) string {
	if len(name) <= max {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	head := strings.TrimRight(name[:max-len(sep)-8], "-_.")
	return head + sep + hex.EncodeToString(sum[:])[:8]
}

// rdsIdentifier makes an RDS identifier of a name: letters, digits and
// hyphens, no two hyphens in a row, not ending with one, at most 63
// characters (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html).
func rdsIdentifier(name string) string {
	name = doubleHyphens.ReplaceAllString(name, "-")
	return strings.TrimRight(BoundedName(name, 63, "-"), "-")
}

var doubleHyphens = regexp.MustCompile(`-{2,}`)

// GlobalCluster names a service's global database (an Aurora global
// cluster's identifier, or a DynamoDB global table's name) and the tag
// value that puts its data into the backup plan.
func GlobalCluster(t *topology.Topology, service string) string {
	return rdsIdentifier(fmt.Sprintf("bulwark-%s-%s", t.Environment.Name, service))
}

// ClusterIdentifier names a service's Aurora cluster in a region (and
// its DB subnet group).
func ClusterIdentifier(t *topology.Topology, service, region string) string {
	return rdsIdentifier(fmt.Sprintf("bulwark-%s-%s-%s", t.Environment.Name, service, region))
}

// Vault names the backup vault of a service's plan in a region: the same
// name everywhere, so a copy action can name another region's vault by
// ARN without reading that region's stack; 2 to 50 characters
// (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CreateBackupVault.html).
func Vault(t *topology.Topology, service string) string {
	return BoundedName(fmt.Sprintf("bulwark-%s-%s", t.Environment.Name, service), 50, "-")
}

// loadBalancerPrefix is the name prefix of a service's load balancer and
// target groups: the provider adds a unique suffix within the 32
// characters both allow, and takes at most 6 characters of prefix
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
// A prefix keeps Pulumi's create-before-delete replacement possible, which
// a fixed name would not. A load balancer's name may not begin with
// "internal-".
func loadBalancerPrefix(service string) string {
	p := strings.TrimRight(service[:min(5, len(service))], "-")
	return p + "-"
}
