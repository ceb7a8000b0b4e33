package awsrunbook

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/clock"
)

// These tests run EnsureAppUser against awsfake.Cloud (not AWS): an
// Aurora global database whose writer is in us-east-1, created with the
// master user bulwark and the database shop, and the admin and
// application secrets of the service in both regions, as the stacks
// declare them (replicated).

const (
	adminSecret   = "bulwark/prod/shop/database-admin"
	appSecretName = "bulwark/prod/shop/database"
	adminPassword = "Adm1nPassw0rd"
	east, west    = "prod-shop-us-east-1", "prod-shop-us-west-2"
)

// secretJSON is a database secret's value as the stacks write it.
func secretJSON(username, password string) string {
	b, err := json.Marshal(map[string]any{"engine": "postgres", "host": "prod-shop.global-x.global.rds.amazonaws.com", "port": 5432,
		"dbname": "shop", "username": username, "password": password})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func newUserClients(t *testing.T, timings awsfake.Timings, appUser, appPassword string) (*UserClients, *awsfake.Cloud, *clock.Scaled, AppUserTarget) {
	t.Helper()
	_, _, cloud, clk := newTimedClients(t, timings)
	cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "prod-shop", Members: []awsfake.DBCluster{
		{Identifier: east, Region: "us-east-1", Writer: true, HTTPEndpoint: true, MasterUsername: "bulwark", MasterPassword: adminPassword, DatabaseName: "shop"},
		{Identifier: west, Region: "us-west-2", HTTPEndpoint: true},
	}})
	for _, region := range []string{"us-east-1", "us-west-2"} {
		cloud.AddSecret(region, adminSecret)
		cloud.AddSecret(region, appSecretName)
	}
	putSecret(t, cloud, adminSecret, secretJSON("bulwark", adminPassword))
	putSecret(t, cloud, appSecretName, secretJSON(appUser, appPassword))
	uc, err := NewUserClients(context.Background(), ClientOptions{Endpoint: cloud.URL(), MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	uc.Clock, uc.Poll = clk, 5*time.Millisecond
	target, err := uc.FindAppUserTarget(context.Background(), "us-east-1", east, adminSecret, appSecretName)
	if err != nil {
		t.Fatal(err)
	}
	return uc, cloud, clk, target
}

func putSecret(t *testing.T, cloud *awsfake.Cloud, name, value string) {
	t.Helper()
	if err := cloud.PutSecretString(name, value); err != nil {
		t.Fatal(err)
	}
}

// everything EnsureAppUser grants the user of the database shop
var shopGrants = []string{"CONNECT ON DATABASE shop", "CREATE ON DATABASE shop", "CREATE ON SCHEMA shop.public", "USAGE ON SCHEMA shop.public"}

// The first run creates the user with the secret's password and its
// grants, which reach the secondary after the replication lag (10 minutes
// here, so that only the lag brings them over); a rerun
// changes nothing, and does not reset a password the rotation changed,
// nor touch the clone AWSCURRENT names after a rotation.
func TestEnsureAppUserCreatesItOnce(t *testing.T) {
	uc, cloud, clk, target := newUserClients(t, awsfake.Timings{ReplicationLag: 10 * time.Minute}, "shop_app", "Fr1stPassw0rd")
	ctx := context.Background()
	if !strings.HasPrefix(target.ClusterARN, "arn:aws:rds:us-east-1:123456789012:cluster:"+east) ||
		!strings.HasPrefix(target.AdminSecretARN, "arn:aws:secretsmanager:us-east-1:123456789012:secret:"+adminSecret+"-") {
		t.Fatalf("target %+v", target)
	}
	if _, ok := cloud.DatabaseRole("us-east-1", east, "shop_app"); ok {
		t.Fatal("the user exists before EnsureAppUser ran")
	}
	u, err := uc.EnsureAppUser(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if !u.Created || u.User != "shop_app" || u.Database != "shop" {
		t.Errorf("result %+v, want shop_app created in shop", u)
	}
	if got := u.String(); got != "created user shop_app; granted CONNECT, CREATE ON DATABASE \"shop\", USAGE, CREATE ON SCHEMA public, membership of shop_app to the master user" {
		t.Errorf("String() = %q", got)
	}
	// the master user reads what the application user owns (a restored copy's rows)
	if master, _ := cloud.DatabaseRole("us-east-1", east, "bulwark"); !slices.Contains(master.Grants, "MEMBER OF shop_app") {
		t.Errorf("the master user's grants %v lack membership of shop_app", master.Grants)
	}
	want := awsfake.DatabaseRole{Name: "shop_app", Password: "Fr1stPassw0rd", Login: true, Grants: shopGrants}
	if got, _ := cloud.DatabaseRole("us-east-1", east, "shop_app"); !reflect.DeepEqual(got, want) {
		t.Errorf("the writer holds %+v, want %+v", got, want)
	}
	if _, ok := cloud.DatabaseRole("us-west-2", west, "shop_app"); ok {
		t.Error("the secondary has the user at once; the catalog replicates with the lag")
	}
	if err := clk.Sleep(ctx, 11*time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, _ := cloud.DatabaseRole("us-west-2", west, "shop_app"); !reflect.DeepEqual(got, want) {
		t.Errorf("the secondary holds %+v after the lag, want %+v", got, want)
	}

	// the rotation changed the password (the secret's AWSPENDING, not yet current)
	if err := cloud.PutRole("us-east-1", east, "shop_app", "R0tatedPassw0rd"); err != nil {
		t.Fatal(err)
	}
	u, err = uc.EnsureAppUser(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if u.Created {
		t.Error("a rerun created the user again")
	}
	if got, _ := cloud.DatabaseRole("us-east-1", east, "shop_app"); got.Password != "R0tatedPassw0rd" || !reflect.DeepEqual(got.Grants, shopGrants) {
		t.Errorf("after a rerun the user holds %+v; want the rotated password kept, the grants as they were", got)
	}

	// a finished first rotation: AWSCURRENT names the clone it made
	if err := cloud.PutRole("us-east-1", east, "shop_app_clone", "Cl0nePassw0rd"); err != nil {
		t.Fatal(err)
	}
	putSecret(t, cloud, appSecretName, secretJSON("shop_app_clone", "Cl0nePassw0rd"))
	u, err = uc.EnsureAppUser(ctx, target)
	if err != nil || u.Created || u.User != "shop_app_clone" {
		t.Fatalf("after a rotation: %+v, %v; want the clone found, not created", u, err)
	}
	if got, _ := cloud.DatabaseRole("us-east-1", east, "shop_app_clone"); got.Password != "Cl0nePassw0rd" {
		t.Errorf("the clone's password is %q, want the rotation's", got.Password)
	}
}

// A wrong admin password, or an admin secret naming a user the cluster
// lacks, fails with ErrSignIn, naming the cluster and the secret; nothing
// is created.
func TestEnsureAppUserRefusedSignIn(t *testing.T) {
	for _, tc := range []struct{ name, admin string }{
		{"wrong password", secretJSON("bulwark", "not-the-password")},
		{"unknown user", secretJSON("nobody", adminPassword)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uc, cloud, _, target := newUserClients(t, awsfake.Timings{}, "shop_app", "Fr1stPassw0rd")
			putSecret(t, cloud, adminSecret, tc.admin)
			_, err := uc.EnsureAppUser(context.Background(), target)
			if !errors.Is(err, ErrSignIn) {
				t.Fatalf("err = %v, want ErrSignIn", err)
			}
			for _, part := range []string{east, target.AdminSecretARN, "28P01"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not name %s", err, part)
				}
			}
			if _, ok := cloud.DatabaseRole("us-east-1", east, "shop_app"); ok {
				t.Error("the user was created")
			}
		})
	}
}

// Quotes and backslashes in a password or a user's name reach the
// database as they are; a control character is refused before anything
// is sent, as is a name the rotation could not clone.
func TestEnsureAppUserQuotesAndRefuses(t *testing.T) {
	for _, tc := range []struct{ user, password string }{
		{"shop_app", `it's"a\pass'word`},
		{`shop"app`, "plain"},
		{"Shop_App", `ends with a backslash\`},
	} {
		t.Run(tc.user, func(t *testing.T) {
			uc, cloud, _, target := newUserClients(t, awsfake.Timings{}, tc.user, tc.password)
			u, err := uc.EnsureAppUser(context.Background(), target)
			if err != nil || !u.Created {
				t.Fatalf("%+v, %v", u, err)
			}
			got, ok := cloud.DatabaseRole("us-east-1", east, tc.user)
			if !ok || got.Password != tc.password || !reflect.DeepEqual(got.Grants, shopGrants) {
				t.Errorf("the database holds %+v (%v), want user %q with password %q and its grants", got, ok, tc.user, tc.password)
			}
		})
	}
	for _, tc := range []struct{ name, user, password string }{
		{"newline in the password", "shop_app", "line\nbreak"},
		{"NUL in the password", "shop_app", "nul\x00"},
		{"tab in the user", "shop\tapp", "plain"},
		{"no room for the clone", strings.Repeat("a", 58), "plain"},
		{"no password", "shop_app", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			uc, cloud, _, target := newUserClients(t, awsfake.Timings{}, tc.user, tc.password)
			_, err := uc.EnsureAppUser(context.Background(), target)
			if !errors.Is(err, ErrBadSecret) || !strings.Contains(err.Error(), target.AppSecretARN) {
				t.Fatalf("err = %v, want ErrBadSecret naming the secret", err)
			}
			if tc.password != "plain" && tc.password != "" && strings.Contains(err.Error(), tc.password) {
				t.Errorf("the error %q quotes the password", err)
			}
			for _, call := range cloud.Calls() {
				if strings.HasPrefix(call, "rds-data") {
					t.Errorf("a statement was sent: %s", call)
				}
			}
		})
	}
}

// A secret that is not a database secret's JSON is ErrBadSecret, and the
// error quotes nothing of it.
func TestEnsureAppUserNotJSON(t *testing.T) {
	uc, cloud, _, target := newUserClients(t, awsfake.Timings{}, "shop_app", "plain")
	putSecret(t, cloud, appSecretName, "shop_app:s3cr3t")
	_, err := uc.EnsureAppUser(context.Background(), target)
	if !errors.Is(err, ErrBadSecret) || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v, want ErrBadSecret quoting nothing", err)
	}
}

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{`shop_app`: `"shop_app"`, `a"b`: `"a""b"`, `""`: `""""""`} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{`abc`: `'abc'`, `it's`: `'it''s'`, `a\b`: `E'a\\b'`, `a\'b`: `E'a\\''b'`, ``: `''`} {
		if got := quoteLiteral(in); got != want {
			t.Errorf("quoteLiteral(%s) = %s, want %s", in, got, want)
		}
	}
}

// While the cluster is not the writer (a switchover to it runs), the Data
// API answers none of its statements: EnsureAppUser waits, bounded by
// Wait, and creates the user once it is.
func TestEnsureAppUserWaitsForTheWriter(t *testing.T) {
	uc, cloud, clk, _ := newUserClients(t, awsfake.Timings{}, "shop_app", "Fr1stPassw0rd")
	ctx := context.Background()
	target, err := uc.FindAppUserTarget(ctx, "us-west-2", west, adminSecret, appSecretName)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClients(ctx, ClientOptions{Endpoint: cloud.URL()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RDS("us-west-2").SwitchoverGlobalCluster(ctx, &rds.SwitchoverGlobalClusterInput{
		GlobalClusterIdentifier: aws.String("prod-shop"), TargetDbClusterIdentifier: aws.String(target.ClusterARN)}); err != nil {
		t.Fatal(err)
	}
	uc.Wait = time.Minute
	if _, err := uc.EnsureAppUser(ctx, target); !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "DatabaseUnavailableException") {
		t.Fatalf("a minute into a 3-minute switchover: %v, want ErrTimeout with the last error", err)
	}
	uc.Wait = 10 * time.Minute
	start := clk.Now()
	u, err := uc.EnsureAppUser(ctx, target)
	if err != nil || !u.Created {
		t.Fatalf("%+v, %v", u, err)
	}
	if took := clock.Since(clk, start); took < time.Minute {
		t.Errorf("created after %s on the clock; the switchover had two minutes left", took)
	}
	if got, ok := cloud.DatabaseRole("us-west-2", west, "shop_app"); !ok || got.Password != "Fr1stPassw0rd" {
		t.Errorf("the new writer holds %+v", got)
	}
}

// A secret or a cluster the region lacks is ErrNotFound, named.
func TestFindAppUserTargetNotFound(t *testing.T) {
	uc, _, _, _ := newUserClients(t, awsfake.Timings{}, "shop_app", "Fr1stPassw0rd")
	ctx := context.Background()
	for _, tc := range []struct{ region, cluster, secret string }{
		{"us-east-1", "prod-other-us-east-1", appSecretName},
		{"us-east-1", east, "bulwark/prod/other/database"},
		{"eu-west-1", east, appSecretName},
	} {
		_, err := uc.FindAppUserTarget(ctx, tc.region, tc.cluster, adminSecret, tc.secret)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), tc.region) {
			t.Errorf("%+v: err = %v, want ErrNotFound naming the region", tc, err)
		}
	}
}
