package awstarget

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-dev/bulwark/internal/awsfake"
	"github.com/bulwark-dev/bulwark/internal/awsrunbook"
	"github.com/bulwark-dev/bulwark/internal/topology"
)

// After the primary regions of an aws up, bulwark creates each Aurora
// PostgreSQL service's application user in its primary cluster, found by
// the names the stacks give (environments/prod.hcl: shop, primary
// us-east-1), here in awsfake.Cloud (not AWS). Only services whose
// primary is in the wave are touched; a rerun finds the user.
func TestDeployEnsuresAppUsersAfterThePrimaries(t *testing.T) {
	awsfake.UseFakeCredentials(t)
	cloud := awsfake.NewCloud()
	t.Cleanup(cloud.Close)
	l := &topology.Loader{Images: topology.ImageDir("../../images")}
	prod, err := l.LoadFile("../../environments/prod.hcl")
	if err != nil {
		t.Fatal(err)
	}
	// shop alone: payments, prod's second service, takes the same step
	prod.Services = prod.Services[:1]
	// as the stacks declare them (modules/aws, internal/contract)
	cloud.AddGlobalCluster(awsfake.GlobalCluster{Identifier: "bulwark-prod-shop", Members: []awsfake.DBCluster{
		{Identifier: "bulwark-prod-shop-us-east-1", Region: "us-east-1", Writer: true, HTTPEndpoint: true, MasterUsername: "bulwark", MasterPassword: "Adm1n", DatabaseName: "shop"},
		{Identifier: "bulwark-prod-shop-us-west-2", Region: "us-west-2", HTTPEndpoint: true},
		{Identifier: "bulwark-prod-shop-eu-west-1", Region: "eu-west-1", HTTPEndpoint: true},
	}})
	for _, region := range []string{"us-east-1", "us-west-2", "eu-west-1"} {
		cloud.AddSecret(region, "bulwark/prod/shop/database-admin")
		cloud.AddSecret(region, "bulwark/prod/shop/database")
	}
	for name, value := range map[string]string{
		"bulwark/prod/shop/database-admin": `{"engine":"postgres","host":"h","port":5432,"dbname":"shop","username":"bulwark","password":"Adm1n"}`,
		"bulwark/prod/shop/database":       `{"engine":"postgres","host":"h","port":5432,"dbname":"shop","username":"shop_app","password":"App1e"}`,
	} {
		if err := cloud.PutSecretString(name, value); err != nil {
			t.Fatal(err)
		}
	}
	users, err := awsrunbook.NewUserClients(context.Background(), awsrunbook.ClientOptions{Endpoint: cloud.URL(), MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	users.Poll = 10 * time.Millisecond
	hook := AppUsers(users, prod)
	ctx := context.Background()

	detail, err := hook(ctx, []string{"us-west-2", "eu-west-1"})
	if err != nil || detail != "no Aurora PostgreSQL database has its primary in us-west-2, eu-west-1" {
		t.Errorf("the secondaries' wave: %q, %v", detail, err)
	}
	if _, ok := cloud.DatabaseRole("us-east-1", "bulwark-prod-shop-us-east-1", "shop_app"); ok {
		t.Fatal("a wave without the primary made the user")
	}

	detail, err = hook(ctx, []string{"us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `shop (bulwark-prod-shop-us-east-1 in us-east-1): created user shop_app; granted CONNECT, CREATE ON DATABASE "shop", USAGE, CREATE ON SCHEMA public, membership of shop_app to the master user`; detail != want {
		t.Errorf("detail %q, want %q", detail, want)
	}
	if r, ok := cloud.DatabaseRole("us-east-1", "bulwark-prod-shop-us-east-1", "shop_app"); !ok || r.Password != "App1e" || len(r.Grants) != 4 {
		t.Errorf("the primary holds %+v (%v)", r, ok)
	}
	if detail, err = hook(ctx, []string{"us-east-1"}); err != nil || !strings.Contains(detail, "user shop_app exists") {
		t.Errorf("a rerun: %q, %v", detail, err)
	}

	// an admin secret the database refuses fails the step, classifiably
	if err := cloud.PutSecretString("bulwark/prod/shop/database-admin", `{"username":"bulwark","password":"wrong"}`); err != nil {
		t.Fatal(err)
	}
	if _, err := hook(ctx, []string{"us-east-1"}); !errors.Is(err, awsrunbook.ErrSignIn) || !strings.Contains(err.Error(), "service shop") {
		t.Errorf("a refused admin secret: %v, want ErrSignIn naming the service", err)
	}
}
