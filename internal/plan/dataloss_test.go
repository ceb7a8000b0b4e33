package plan

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-dev/bulwark/internal/contract"
)

// Each step of a hand-written preview, and what it would destroy, if
// anything, as the review and up name it.
func TestDataLosses(t *testing.T) {
	vault := map[string]any{"name": "bulwark-prod-shop", "kmsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/k"}
	key := map[string]any{"description": "bulwark-prod-shop backups in eu-west-1", "deletionWindowInDays": float64(30)}
	cluster := map[string]any{"clusterIdentifier": "bulwark-prod-shop-us-west-2", "skipFinalSnapshot": false, "finalSnapshotIdentifier": "bulwark-prod-shop-us-west-2-final"}
	table := func(regions ...string) map[string]any {
		var replicas []any
		for _, r := range regions {
			replicas = append(replicas, map[string]any{"regionName": r, "kmsKeyArn": Unknown})
		}
		return map[string]any{"name": "bulwark-prod-cart", "replicas": replicas}
	}
	steps := []Step{
		// dropping a copy_to region: the vault and its key go, the alarms do not count
		{Stack: "prod.eu-west-1", Op: "delete", URN: "urn:c", Type: "aws:backup/vault:Vault", Name: "shop", Region: "eu-west-1", Old: vault},
		{Stack: "prod.eu-west-1", Op: "delete", URN: "urn:d", Type: "aws:kms/key:Key", Name: "shop-vault", Old: key},
		{Stack: "prod.eu-west-1", Op: "delete", URN: "urn:e", Type: "aws:cloudwatch/metricAlarm:MetricAlarm", Name: "shop-failed-copy-jobs"},
		{Stack: "prod.eu-west-1", Op: "delete", URN: "urn:f", Type: "bulwark:aws:Backup", Name: "shop"},
		// a cluster replaced in three steps is one loss; its instances hold nothing
		{Stack: "prod.us-west-2", Op: "create-replacement", URN: "urn:a", Type: "aws:rds/cluster:Cluster", Name: "shop", Old: cluster, New: cluster},
		{Stack: "prod.us-west-2", Op: "replace", URN: "urn:a", Type: "aws:rds/cluster:Cluster", Name: "shop", Old: cluster, New: cluster},
		{Stack: "prod.us-west-2", Op: "delete-replaced", URN: "urn:a", Type: "aws:rds/cluster:Cluster", Name: "shop", Old: cluster},
		{Stack: "prod.us-west-2", Op: "delete", URN: "urn:b", Type: "aws:rds/clusterInstance:ClusterInstance", Name: "shop-us-west-2a"},
		// a table that drops eu-west-1 from its replicas, and one that keeps them
		{Stack: "prod.us-east-1", Op: "update", URN: "urn:t1", Type: "aws:dynamodb/table:Table", Name: "cart", Old: table("us-west-2", "eu-west-1"), New: table("us-west-2")},
		{Stack: "prod.us-east-1", Op: "update", URN: "urn:t2", Type: "aws:dynamodb/table:Table", Name: "cart", Old: table("us-west-2"), New: table("us-west-2")},
		// kept where it is (retainOnDelete), created, unchanged: nothing is lost
		{Stack: "prod.us-east-1", Op: "discard", URN: "urn:v1", Type: "aws:backup/vault:Vault", Name: "old", Old: vault},
		{Stack: "prod.us-east-1", Op: "create", URN: "urn:v2", Type: "aws:backup/vault:Vault", Name: "new", New: vault},
		{Stack: "prod.us-east-1", Op: "same", URN: "urn:v3", Type: "aws:kms/key:Key", Name: "same", Old: key, New: key},
		// the local target: a replica member, and a backup plan whose vaults change
		{Stack: "dev.west", Op: "delete", URN: "urn:l1", Type: contract.TypeLocalDatabase, Name: "shop",
			Old: map[string]any{"service": "shop", "region": "west", "primary": "east"}},
		{Stack: "dev.east", Op: "replace", URN: "urn:l2", Type: contract.TypeLocalBackupPlan, Name: "shop",
			Old: map[string]any{"service": "shop", "vaults": []any{"west", "north"}}, New: map[string]any{"service": "shop", "vaults": []any{"west"}}},
		{Stack: "dev.east", Op: "delete", URN: "urn:l3", Type: contract.TypeLocalInstanceGroup, Name: "shop"},
	}
	var got []string
	for _, l := range DataLosses(steps) {
		got = append(got, fmt.Sprintf("%s %s %s: %s", l.Stack, l.Op, l.Name, l.Lost))
	}
	want := []string{
		"dev.east replace shop: the backups of shop's database, with their archived WAL, in the vaults of west, north",
		"dev.west delete shop: the data of shop's database member in west (a replica of east)",
		"prod.eu-west-1 delete shop: the recovery points in backup vault bulwark-prod-shop in eu-west-1",
		`prod.eu-west-1 delete shop-vault: what KMS key "bulwark-prod-shop backups in eu-west-1" in eu-west-1 encrypts: unreadable once its 30-day deletion window ends`,
		"prod.us-east-1 update cart: the replica of DynamoDB table bulwark-prod-cart in eu-west-1",
		"prod.us-west-2 replace shop: the data of Aurora cluster bulwark-prod-shop-us-west-2 in us-west-2 and its automated backups (a final snapshot bulwark-prod-shop-us-west-2-final is kept)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("data losses:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A deleted table loses its items everywhere; a local primary says so; a
// resource without the inputs that name it is named by its resource name.
func TestDataLossWording(t *testing.T) {
	cases := []struct {
		step Step
		want string
	}{
		{Step{Stack: "prod.us-east-1", Op: "delete", Type: "aws:dynamodb/table:Table", Name: "cart",
			Old: map[string]any{"name": "bulwark-prod-cart", "replicas": []any{map[string]any{"regionName": "us-west-2"}}}},
			"the items of DynamoDB table bulwark-prod-cart in us-east-1 and in its replicas in us-west-2"},
		{Step{Stack: "dev.east", Op: "delete", Type: contract.TypeLocalDatabase, Name: "shop",
			Old: map[string]any{"service": "shop", "region": "east", "primary": "east"}},
			"the data of shop's database member in east (its primary)"},
		{Step{Stack: "prod.us-east-1", Op: "delete", Type: "aws:rds/globalCluster:GlobalCluster", Name: "shop"},
			"Aurora global database shop, which every region's cluster replicates"},
		{Step{Stack: "prod.us-east-1", Op: "delete", Type: "aws:rds/cluster:Cluster", Name: "shop",
			Old: map[string]any{"clusterIdentifier": "c", "skipFinalSnapshot": true, "region": "us-east-1"}},
			"the data of Aurora cluster c in us-east-1 and its automated backups"},
		{Step{Stack: "prod.us-east-1", Op: "delete", Type: "aws:kms/replicaKey:ReplicaKey", Name: "shop-table-us-west-2",
			Old: map[string]any{"region": "us-west-2"}},
			"what replica KMS key shop-table-us-west-2 in us-west-2 encrypts: unreadable once its deletion window ends"},
	}
	for _, c := range cases {
		got := DataLosses([]Step{c.step})
		if len(got) != 1 || got[0].Lost != c.want {
			t.Errorf("%s %s: %+v, want %q", c.step.Op, c.step.Type, got, c.want)
		}
	}
}

func TestDataHolders(t *testing.T) {
	local := contract.TypeTokens()
	var types []string
	for _, h := range DataHolders() {
		types = append(types, h.Target+" "+h.Type)
		if h.Target == "local" && !slices.Contains(local, h.Type) {
			t.Errorf("%s is no type of the local provider", h.Type)
		}
		if h.Holds == "" || h.lost == nil {
			t.Errorf("%s says nothing of what it holds or loses", h.Type)
		}
	}
	want := []string{
		"aws aws:rds/globalCluster:GlobalCluster", "aws aws:rds/cluster:Cluster", "aws aws:dynamodb/table:Table",
		"aws aws:backup/vault:Vault", "aws aws:kms/key:Key", "aws aws:kms/replicaKey:ReplicaKey", "aws aws:sqs/queue:Queue",
		"local bulwark:local:WriteQueue", "local bulwark:local:Database", "local bulwark:local:BackupPlan",
	}
	if !slices.Equal(types, want) {
		t.Errorf("data holders %v, want %v", types, want)
	}
	for _, notData := range []string{"aws:rds/clusterInstance:ClusterInstance", "aws:backup/plan:Plan", contract.TypeLocalInstanceGroup, "bulwark:aws:Backup", contract.TypeLocalCache, contract.TypeLocalLink, "aws:cloudfront/distribution:Distribution"} {
		if _, ok := HoldsData(notData); ok {
			t.Errorf("%s holds no data", notData)
		}
	}
}

func TestDataLossError(t *testing.T) {
	var err error = fmt.Errorf("up: %w", &DataLossError{Losses: []DataLoss{{Lost: "the recovery points in backup vault v in r"}}})
	var dl *DataLossError
	if !errors.Is(err, ErrDataLoss) || !errors.As(err, &dl) || len(dl.Losses) != 1 {
		t.Fatalf("%v is not a data loss", err)
	}
	if want := "up: the change would destroy data: the recovery points in backup vault v in r"; err.Error() != want {
		t.Errorf("%q, want %q", err.Error(), want)
	}
}
