package topology

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// secretSrc is an environment whose service shop declares secrets (the
// secret_parameters line is line 9) beside a plain LOG_LEVEL.
func secretSrc(secrets string) []byte {
	return []byte(`environment "p" {
  target = "local"
}
region "east" {}
service "web-shop" {
  mode  = "active-active"
  image = "shop"
  port  = 8080
  secret_parameters = ` + secrets + `
  parameters = {
    LOG_LEVEL = "info"
  }
  capacity {
    min     = 1
    desired = 1
    max     = 1
  }
  dns { zone = "shop.test" }
}
`)
}

func TestSecretParameters(t *testing.T) {
	topo, err := (&Loader{Images: testImages}).Load("p.hcl", secretSrc(`["API_TOKEN", "DB_KEY"]`))
	if err != nil {
		t.Fatal(err)
	}
	s := topo.Services[0]
	if !reflect.DeepEqual(s.SecretParameters, []string{"API_TOKEN", "DB_KEY"}) {
		t.Fatalf("secret parameters = %v", s.SecretParameters)
	}
	if _, ok := s.Parameters["API_TOKEN"]; ok {
		t.Error("a secret parameter is among the plain parameters")
	}
	if got := SecretParameterEnv(s.Name, "API_TOKEN"); got != "BULWARK_SECRET_WEB_SHOP_API_TOKEN" {
		t.Errorf("variable = %q", got)
	}
	plain := Service{Parameters: s.Parameters}
	if s.ParametersDigest() == plain.ParametersDigest() {
		t.Error("declaring secret parameters does not change the digest (instances would not get them)")
	}
	// the digest holds names only: a value in it could be checked against a guess
	t.Setenv("BULWARK_SECRET_WEB_SHOP_API_TOKEN", "one")
	d := s.ParametersDigest()
	t.Setenv("BULWARK_SECRET_WEB_SHOP_API_TOKEN", "two")
	if s.ParametersDigest() != d {
		t.Error("the digest depends on a secret's value")
	}
}

func TestSecretParametersDiagnostics(t *testing.T) {
	for _, c := range []struct{ list, summary string }{
		{`["LOG_LEVEL"]`, "Parameter declared twice"},
		{`["api-token"]`, "Invalid secret parameter name"},
		{`["BULWARK_TOKEN"]`, "Reserved parameter name"},
		{`["PATH"]`, "Reserved parameter name"},
		{`["A", "A"]`, "Duplicate secret parameter"},
		{`"A"`, "Incorrect attribute value type"},
	} {
		t.Run(c.list, func(t *testing.T) {
			_, err := (&Loader{Images: testImages}).Load("p.hcl", secretSrc(c.list))
			var de *DiagnosticsError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want diagnostics", err)
			}
			found := false
			for _, d := range de.Diags {
				if d.Subject == nil || d.Subject.Start.Line != 9 {
					t.Errorf("%s at %v, want line 9", d.Summary, d.Subject)
				}
				found = found || d.Summary == c.summary
			}
			if !found {
				t.Errorf("no %q diagnostic:\n%s", c.summary, de.Diags.Error())
			}
		})
	}
}

func TestCheckSecrets(t *testing.T) {
	topo, err := (&Loader{Images: testImages}).Load("p.hcl", secretSrc(`["API_TOKEN", "DB_KEY"]`))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BULWARK_SECRET_WEB_SHOP_API_TOKEN": "hunter2-value"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err = topo.CheckSecrets(lookup)
	if !errors.Is(err, ErrMissingSecret) || !strings.Contains(err.Error(), "BULWARK_SECRET_WEB_SHOP_DB_KEY") || strings.Contains(err.Error(), "API_TOKEN") {
		t.Fatalf("err = %v, want DB_KEY's variable named, and only it", err)
	}
	env["BULWARK_SECRET_WEB_SHOP_DB_KEY"] = "a\x00b"
	if err = topo.CheckSecrets(lookup); err == nil || strings.Contains(err.Error(), "a\x00b") {
		t.Fatalf("a NUL in a value: err = %v", err)
	}
	env["BULWARK_SECRET_WEB_SHOP_DB_KEY"] = "ok"
	if err := topo.CheckSecrets(lookup); err != nil {
		t.Fatal(err)
	}
}
