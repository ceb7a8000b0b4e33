package awsconstraints

import (
	"fmt"
	"regexp"
	"strings"
)

const (
	typeCluster         = "aws:rds/cluster:Cluster"
	typeClusterInstance = "aws:rds/clusterInstance:ClusterInstance"
	typeGlobalCluster   = "aws:rds/globalCluster:GlobalCluster"
	typeDBSubnetGroup   = "aws:rds/subnetGroup:SubnetGroup"
)

// rdsIdentifier reports an RDS identifier AWS refuses: 1-63 letters,
// digits or hyphens, the first a letter, no hyphen at the end and no two
// in a row.
func rdsIdentifier(what, id string, max int) string {
	switch {
	case id == "":
		return ""
	case len(id) > max:
		return fmt.Sprintf("%s %q has %d characters; at most %d", what, id, len(id), max)
	case !regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`).MatchString(id):
		return fmt.Sprintf("%s %q: letters, digits and hyphens only, beginning with a letter", what, id)
	case strings.HasSuffix(id, "-") || strings.Contains(id, "--"):
		return fmt.Sprintf("%s %q ends with a hyphen or has two in a row", what, id)
	}
	return ""
}

// databaseNameRE: an Aurora PostgreSQL database name begins with a letter
// and goes on with letters, digits and underscores, 63 characters at most.
var databaseNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)

// dbSubnetGroupNameRE: letters, digits, periods, underscores, spaces and
// hyphens.
var dbSubnetGroupNameRE = regexp.MustCompile(`^[A-Za-z0-9._ -]+$`)

// globalRole is a cluster's place in its global database: "writer" when
// the global cluster is declared in its Region, "secondary" when in
// another, "" when the plan does not say.
func globalRole(ix *index, r subject) string {
	id := strings.ToLower(str(r.Inputs, "globalClusterIdentifier"))
	if id == "" {
		return ""
	}
	for _, g := range ix.ofType(typeGlobalCluster) {
		if strings.ToLower(str(g.Inputs, "globalClusterIdentifier")) == id {
			if g.Region == r.Region {
				return "writer"
			}
			return "secondary"
		}
	}
	return ""
}

// subnetZones are the zones of a list of subnet IDs; ok is false when one
// is not in the plan.
func subnetZones(ix *index, ids []string) (map[string]bool, bool) {
	zones := map[string]bool{}
	for _, id := range ids {
		s, ok := ix.lookup(id)
		if !ok {
			return nil, false
		}
		zones[str(s.Inputs, "availabilityZone")] = true
	}
	return zones, true
}

var rdsRules = []Rule{{
	ID:      "rds-identifier",
	Summary: "a DB cluster's, global cluster's or instance's identifier has 1-63 letters, digits or hyphens, begins with a letter, and has no hyphen at the end or two in a row",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
	Types:   []string{typeCluster, typeGlobalCluster, typeClusterInstance},
	check: func(_ *index, r subject) []string {
		field := map[string]string{typeCluster: "clusterIdentifier", typeGlobalCluster: "globalClusterIdentifier", typeClusterInstance: "identifier"}[r.Type]
		return msgs(rdsIdentifier(field, r.name(field), 63))
	},
}, {
	ID:      "rds-database-name",
	Summary: "an Aurora PostgreSQL database name begins with a letter and has letters, digits and underscores only, 63 characters at most",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
	Types:   []string{typeCluster, typeGlobalCluster},
	check: func(_ *index, r subject) []string {
		return msgs(nameRule("databaseName", str(r.Inputs, "databaseName"), 1, 63, databaseNameRE, "begins with a letter, then letters, digits and underscores only (no hyphens)"))
	},
}, {
	ID:      "rds-global-managed-password",
	Summary: "a cluster of an Aurora global database cannot have its master password managed in Secrets Manager",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html",
	Types:   []string{typeCluster},
	check: func(_ *index, r subject) []string {
		if str(r.Inputs, "globalClusterIdentifier") != "" && truthy(r.in("manageMasterUserPassword")) {
			return []string{"manageMasterUserPassword on a cluster of global database " + str(r.Inputs, "globalClusterIdentifier")}
		}
		return nil
	},
}, {
	ID:      "rds-global-secondary-credentials",
	Summary: "a secondary cluster of an Aurora global database takes no master user name or password: it replicates its primary's (CreateDBCluster answers InvalidParameterCombination: Cannot specify user name/password for cross region replication cluster)",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-getting-started.html#aurora-global-database-attaching",
	Types:   []string{typeCluster},
	check: func(ix *index, r subject) []string {
		if globalRole(ix, r) != "secondary" {
			return nil
		}
		var out []string
		for _, k := range []string{"masterUsername", "masterPassword", "masterPasswordWo", "manageMasterUserPassword"} {
			if v, ok := r.Inputs[k]; ok && v != nil && v != false {
				out = append(out, fmt.Sprintf("secondary cluster of global database %s sets %s", str(r.Inputs, "globalClusterIdentifier"), k))
			}
		}
		return out
	},
}, {
	ID:      "rds-final-snapshot",
	Summary: "a cluster deleted without skipping its final snapshot needs a final snapshot identifier (1-255 letters, digits or hyphens, beginning with a letter)",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html",
	Types:   []string{typeCluster},
	check: func(_ *index, r subject) []string {
		// skipFinalSnapshot defaults to false in pulumi-aws
		if truthy(r.in("skipFinalSnapshot")) {
			return nil
		}
		id := str(r.Inputs, "finalSnapshotIdentifier")
		if id == "" {
			if _, unknown := r.Inputs["finalSnapshotIdentifier"]; unknown {
				return nil // computed: cannot say
			}
			return []string{"skipFinalSnapshot is false but no finalSnapshotIdentifier: deleting the cluster (replacement, destroy) fails"}
		}
		return msgs(rdsIdentifier("finalSnapshotIdentifier", id, 255))
	},
}, {
	ID:      "rds-backup-retention",
	Summary: "a cluster keeps automated backups 1-35 days",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html",
	Types:   []string{typeCluster},
	check: func(_ *index, r subject) []string {
		return msgs(inRange("backupRetentionPeriod", r.in("backupRetentionPeriod"), 1, 35))
	},
}, {
	ID:      "rds-kms-region",
	Summary: "a cluster's KMS key is in the cluster's Region (KMS keys are regional)",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Overview.Encryption.Keys.html",
	Types:   []string{typeCluster, typeClusterInstance},
	check: func(_ *index, r subject) []string {
		var out []string
		for _, k := range []string{"kmsKeyId", "performanceInsightsKmsKeyId"} {
			arn := str(r.Inputs, k)
			if region := arnRegion(arn); region != "" && region != r.Region {
				out = append(out, fmt.Sprintf("%s %s is in %s, the cluster in %s", k, arn, region, r.Region))
			}
		}
		return out
	},
}, {
	ID:      "rds-subnet-group",
	Summary: "a DB subnet group's name has at most 255 letters, digits, periods, underscores, spaces or hyphens and is not \"default\"; its subnets span at least two Availability Zones",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html",
	Types:   []string{typeDBSubnetGroup},
	check: func(ix *index, r subject) []string {
		name := r.name("name")
		out := msgs(nameRule("DB subnet group name", name, 1, 255, dbSubnetGroupNameRE, "only letters, digits, periods, underscores, spaces and hyphens"))
		if strings.EqualFold(name, "default") {
			out = append(out, `a DB subnet group cannot be named "default"`)
		}
		if zones, ok := subnetZones(ix, strs(r.in("subnetIds"))); ok && len(zones) < 2 {
			out = append(out, fmt.Sprintf("its subnets span %d Availability Zone(s); at least two", len(zones)))
		}
		return out
	},
}, {
	ID:      "rds-instance-zone",
	Summary: "a DB instance's Availability Zone is one its DB subnet group has a subnet in",
	Source:  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
	Types:   []string{typeClusterInstance},
	check: func(ix *index, r subject) []string {
		zone, group := str(r.Inputs, "availabilityZone"), str(r.Inputs, "dbSubnetGroupName")
		if zone == "" || group == "" {
			return nil
		}
		g, ok := ix.lookup(group)
		if !ok || g.Type != typeDBSubnetGroup {
			return nil
		}
		zones, ok := subnetZones(ix, strs(g.in("subnetIds")))
		if ok && !zones[zone] {
			return []string{fmt.Sprintf("Availability Zone %s has no subnet of DB subnet group %s (%s)", zone, group, strings.Join(sortedKeys(zones), ", "))}
		}
		return nil
	},
}}
