package awsfake

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/backup"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	datatypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The RDS Data API signs in with the credentials a secret holds and runs
// the statements that create the application user, with PostgreSQL's
// errors; Secrets Manager serves each region's copy of a secret's value.

func dataClient(c *Cloud, region string) *rdsdata.Client {
	return rdsdata.New(rdsdata.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func smClient(c *Cloud, region string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: region, BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
}

func creds(user, password string) string {
	b, _ := json.Marshal(map[string]any{"engine": "postgres", "username": user, "password": password, "dbname": "shop", "port": 5432})
	return string(b)
}

// catalogCloud is a global database (writer us-east-1, master user
// bulwark, database shop) and the secrets admin (the master's) and
// other (no value yet) in both regions.
func catalogCloud(t *testing.T, lag time.Duration) (c *Cloud, writer, admin string) {
	t.Helper()
	c = newCloud(t, 600)
	c.Timings = Timings{ReplicationLag: lag}
	c.AddGlobalCluster(GlobalCluster{Identifier: "g", Members: []DBCluster{
		{Identifier: "g-east", Region: "us-east-1", Writer: true, HTTPEndpoint: true, MasterUsername: "bulwark", MasterPassword: "m4ster", DatabaseName: "shop"},
		{Identifier: "g-west", Region: "us-west-2", HTTPEndpoint: true},
	}})
	for _, region := range []string{"us-east-1", "us-west-2"} {
		c.AddSecret(region, "admin")
		c.AddSecret(region, "other")
	}
	if err := c.PutSecretString("admin", creds("bulwark", "m4ster")); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	admin = c.secret("us-east-1", "admin").ARN
	c.mu.Unlock()
	return c, "arn:aws:rds:us-east-1:123456789012:cluster:g-east", admin
}

// exec runs a statement on the writer as the admin secret, in shop.
func exec(c *Cloud, cluster, secret, sql string, params ...datatypes.SqlParameter) (*rdsdata.ExecuteStatementOutput, error) {
	return dataClient(c, "us-east-1").ExecuteStatement(context.Background(), &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), Sql: aws.String(sql), Database: aws.String("shop"), Parameters: params})
}

func TestDataAPISignsInWithTheSecret(t *testing.T) {
	c, writer, admin := catalogCloud(t, time.Second)
	if _, err := exec(c, writer, admin, "SELECT 1"); err != nil {
		t.Fatalf("the master's secret: %v", err)
	}
	c.mu.Lock()
	other := c.secret("us-east-1", "other").ARN
	c.mu.Unlock()
	if _, err := exec(c, writer, other, "SELECT 1"); code(err) != "InvalidSecretException" || status(err) != 400 {
		t.Errorf("a secret with no value: %v, want InvalidSecretException (400)", err)
	}
	for _, tc := range []struct{ name, value, want string }{
		{"wrong password", creds("bulwark", "guess"), `FATAL: password authentication failed for user "bulwark"; SQLState: 28P01`},
		{"unknown user", creds("nobody", "m4ster"), `FATAL: password authentication failed for user "nobody"; SQLState: 28P01`},
		{"not JSON", "bulwark:m4ster", ""},
	} {
		if err := c.PutSecretString("other", tc.value); err != nil {
			t.Fatal(err)
		}
		_, err := exec(c, writer, other, "SELECT 1")
		switch {
		case tc.want == "" && code(err) != "InvalidSecretException":
			t.Errorf("%s: %v, want InvalidSecretException", tc.name, err)
		case tc.want != "" && (code(err) != "DatabaseErrorException" || status(err) != 400 || !strings.HasSuffix(err.Error(), tc.want)):
			t.Errorf("%s: %v, want DatabaseErrorException (400) %q", tc.name, err, tc.want)
		}
	}
	_, err := dataClient(c, "us-east-1").ExecuteStatement(context.Background(), &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(writer), SecretArn: aws.String(admin), Sql: aws.String("SELECT 1"), Database: aws.String("nope")})
	if !strings.HasSuffix(err.Error(), `FATAL: database "nope" does not exist; SQLState: 3D000`) {
		t.Errorf("an unknown database: %v", err)
	}
}

// The statements EnsureAppUser sends, and PostgreSQL's errors for the
// ways they go wrong; a role and its grants reach the secondary after the
// replication lag.
func TestDataAPIRunsTheRoleStatements(t *testing.T) {
	c, writer, admin := catalogCloud(t, 10*time.Minute)
	name := datatypes.SqlParameter{Name: aws.String("name"), Value: &datatypes.FieldMemberStringValue{Value: `Shop"App`}}
	lookup := func() int {
		out, err := exec(c, writer, admin, "SELECT 1 FROM pg_roles WHERE rolname = :name", name)
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Records)
	}
	if n := lookup(); n != 0 {
		t.Fatalf("%d records for a role that does not exist", n)
	}
	if _, err := exec(c, writer, admin, `CREATE ROLE "Shop""App" WITH LOGIN PASSWORD E'it''s\\a\'pass'`); err != nil {
		t.Fatal(err)
	}
	if n := lookup(); n != 1 {
		t.Fatalf("%d records for the role just created, want 1", n)
	}
	for _, sql := range []string{`GRANT CONNECT, CREATE ON DATABASE "shop" TO "Shop""App"`, `grant usage,create on schema public to "Shop""App";`} {
		if _, err := exec(c, writer, admin, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	want := DatabaseRole{Name: `Shop"App`, Password: `it's\a'pass`, Login: true,
		Grants: []string{"CONNECT ON DATABASE shop", "CREATE ON DATABASE shop", "CREATE ON SCHEMA shop.public", "USAGE ON SCHEMA shop.public"}}
	if got, _ := c.DatabaseRole("us-east-1", "g-east", `Shop"App`); !reflect.DeepEqual(got, want) {
		t.Errorf("the writer holds %+v, want %+v", got, want)
	}
	if _, ok := c.DatabaseRole("us-west-2", "g-west", `Shop"App`); ok {
		t.Error("the secondary has the role before the lag")
	}

	// the role signs in with its password, and may neither create roles nor grant
	if err := c.PutSecretString("other", creds(`Shop"App`, `it's\a'pass`)); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	other := c.secret("us-east-1", "other").ARN
	c.mu.Unlock()
	for sql, want := range map[string]string{
		`SELECT 1`: "",
		`CREATE ROLE "x" WITH LOGIN PASSWORD 'p'`:       "ERROR: permission denied to create role; SQLState: 42501",
		`GRANT CONNECT ON DATABASE "shop" TO "bulwark"`: "ERROR: permission denied for database shop; SQLState: 42501",
	} {
		if _, err := exec(c, writer, other, sql); want == "" && err != nil || want != "" && (err == nil || !strings.HasSuffix(err.Error(), want)) {
			t.Errorf("%s as the role: %v, want %q", sql, err, want)
		}
	}

	for sql, want := range map[string]string{
		`CREATE ROLE "Shop""App" WITH LOGIN PASSWORD 'again'`:    `ERROR: role "Shop"App" already exists; SQLState: 42710`, // PostgreSQL quotes the name as it is
		`CREATE ROLE Shop"App WITH LOGIN PASSWORD 'x'`:           "ERROR: unterminated quoted identifier; SQLState: 42601",
		`CREATE ROLE "a" WITH LOGIN PASSWORD 'unterminated`:      "ERROR: unterminated quoted string; SQLState: 42601",
		`CREATE ROLE "a" WITH LOGIN PASSWORD E'\n'`:              `ERROR: the fake reads only \\ and \' in an escape string constant; SQLState: 42601`,
		`GRANT CONNECT ON DATABASE "other" TO "bulwark"`:         `ERROR: database "other" does not exist; SQLState: 3D000`,
		`GRANT USAGE ON DATABASE "shop" TO "bulwark"`:            "ERROR: invalid privilege type USAGE for database; SQLState: 0LP01",
		`GRANT USAGE ON SCHEMA app TO "bulwark"`:                 `ERROR: schema "app" does not exist; SQLState: 3F000`,
		`GRANT USAGE ON SCHEMA public TO "nobody"`:               `ERROR: role "nobody" does not exist; SQLState: 42704`,
		`SELECT 1 FROM pg_roles WHERE rolname = :missing`:        "ERROR: there is no parameter :missing (a stringValue); SQLState: 42P02",
		`ALTER ROLE "bulwark" WITH PASSWORD 'secret-in-the-sql'`: "not ALTER ROLE ...",
	} {
		_, err := exec(c, writer, admin, sql)
		if err == nil || code(err) != "DatabaseErrorException" || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s: %v, want DatabaseErrorException ending %q", sql, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-in-the-sql") {
			t.Errorf("the error quotes the statement's password: %v", err)
		}
	}

	sleepOn(t, c.clock(), 11*time.Minute)
	if got, _ := c.DatabaseRole("us-west-2", "g-west", `Shop"App`); !reflect.DeepEqual(got, want) {
		t.Errorf("the secondary holds %+v after the lag, want %+v", got, want)
	}
}

// A failover keeps the catalog as it had reached the new writer; a
// restored copy holds the roles and passwords its source had at the
// recovery point, not what changed after.
func TestCatalogMovesWithTheVolume(t *testing.T) {
	// a minute's lag (100 ms at the fake's 600x): the failover below must
	// come before the last changes replicate, which a second's (under 2 ms)
	// did not guarantee on a loaded machine
	c, _, _ := catalogCloud(t, time.Minute)
	ctx := context.Background()
	if err := c.PutRole("us-east-1", "g-east", "shop_app", "before"); err != nil {
		t.Fatal(err)
	}
	sleepOn(t, c.clock(), 2*time.Minute)
	point := c.AddRecoveryPoint(RecoveryPoint{Vault: "v", Region: "us-west-2", ResourceType: "Aurora", ResourceARN: "arn:aws:rds:us-east-1:123456789012:cluster:g-east"})
	sleepOn(t, c.clock(), time.Second)
	if err := c.PutRole("us-east-1", "g-east", "shop_app", "after"); err != nil {
		t.Fatal(err)
	}
	if err := c.PutRole("us-east-1", "g-east", "late", "x"); err != nil {
		t.Fatal(err)
	}
	if err := c.PutRole("us-west-2", "g-west", "shop_app", "x"); err == nil {
		t.Error("a secondary took a role change")
	}

	// fail over before the last changes reach us-west-2: they are lost
	if _, err := rds.New(rds.Options{Region: "us-west-2", BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1}).FailoverGlobalCluster(ctx, &rds.FailoverGlobalClusterInput{
		GlobalClusterIdentifier: aws.String("g"), TargetDbClusterIdentifier: aws.String("arn:aws:rds:us-west-2:123456789012:cluster:g-west"), AllowDataLoss: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	sleepOn(t, c.clock(), 2*time.Minute)
	for _, m := range []struct{ region, cluster string }{{"us-west-2", "g-west"}, {"us-east-1", "g-east"}} {
		if r, _ := c.DatabaseRole(m.region, m.cluster, "shop_app"); r.Password != "before" {
			t.Errorf("%s after the failover: shop_app's password is %q, want the replicated one", m.cluster, r.Password)
		}
		if _, ok := c.DatabaseRole(m.region, m.cluster, "late"); ok {
			t.Errorf("%s after the failover has the role the old writer had not replicated", m.cluster)
		}
	}

	bk := backup.New(backup.Options{Region: "us-west-2", BaseEndpoint: aws.String(c.URL()), Credentials: fakeKeys, RetryMaxAttempts: 1})
	job, err := bk.StartRestoreJob(ctx, &backup.StartRestoreJobInput{RecoveryPointArn: aws.String(point), IamRoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		Metadata: map[string]string{"DBClusterIdentifier": "copy"}, ResourceType: aws.String("Aurora")})
	if err != nil {
		t.Fatal(err)
	}
	sleepOn(t, c.clock(), DefaultTimings.RestoreJob+time.Minute)
	c.DBClusters("us-west-2") // RDS lists the copy: the job has completed
	if jobs := c.RestoreJobs(); len(jobs) != 1 || jobs[0].ID != aws.ToString(job.RestoreJobId) || jobs[0].Status != RestoreCompleted {
		t.Fatalf("restore jobs %+v", jobs)
	}
	if r, ok := c.DatabaseRole("us-west-2", "copy", "shop_app"); !ok || r.Password != "before" {
		t.Errorf("the copy holds shop_app %+v (%v), want the password of the recovery point", r, ok)
	}
	if r, ok := c.DatabaseRole("us-west-2", "copy", "bulwark"); !ok || r.Password != "m4ster" {
		t.Errorf("the copy holds the master user %+v (%v)", r, ok)
	}
}

// GetSecretValue serves a region's copy of a secret: AWSCURRENT unless
// asked otherwise, the previous version as AWSPREVIOUS, and
// ResourceNotFoundException for what the region does not have.
func TestGetSecretValue(t *testing.T) {
	c := newCloud(t, 0)
	c.AddSecret("us-east-1", "s")
	c.AddSecret("us-west-2", "s")
	ctx := context.Background()
	get := func(region, stage string) (*secretsmanager.GetSecretValueOutput, error) {
		in := &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")}
		if stage != "" {
			in.VersionStage = aws.String(stage)
		}
		return smClient(c, region).GetSecretValue(ctx, in)
	}
	if _, err := get("us-east-1", ""); code(err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "staging label: AWSCURRENT") {
		t.Errorf("a secret with no value: %v", err)
	}
	for _, v := range []string{"one", "two"} {
		if err := c.PutSecretString("s", v); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ region, stage, want string }{{"us-east-1", "", "two"}, {"us-west-2", "AWSCURRENT", "two"}, {"us-west-2", "AWSPREVIOUS", "one"}} {
		out, err := get(tc.region, tc.stage)
		if err != nil {
			t.Fatal(err)
		}
		stage := tc.stage
		if stage == "" {
			stage = "AWSCURRENT"
		}
		if aws.ToString(out.SecretString) != tc.want || !reflect.DeepEqual(out.VersionStages, []string{stage}) ||
			!strings.HasPrefix(aws.ToString(out.ARN), "arn:aws:secretsmanager:"+tc.region+":123456789012:secret:s-") {
			t.Errorf("%s %s: %s %v %s, want %s", tc.region, tc.stage, aws.ToString(out.SecretString), out.VersionStages, aws.ToString(out.ARN), tc.want)
		}
	}
	if _, err := get("eu-west-1", ""); code(err) != "ResourceNotFoundException" || status(err) != 400 {
		t.Errorf("a region without the secret: %v", err)
	}
	if err := c.PutSecretString("nope", "x"); err == nil {
		t.Error("a value for a secret no region has")
	}
}
