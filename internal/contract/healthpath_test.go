package contract

import (
	"strings"
	"testing"
)

// Paths a careless or hostile environment file could give, each refused,
// beside ordinary ones accepted.
func TestCheckHealthPath(t *testing.T) {
	for _, ok := range []string{"/", "/healthz", "/health/ready", "/v1/status?deep=1&x=y", "/a%20b", "/x.y_z~-"} {
		if err := CheckHealthPath(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "healthz", "/a b", "/a\nb", "/a\r\nHost: evil", `/a"b`, "/a'b", `/a\b`, "/a')os.execute('rm -rf /')--", "/a#b",
		"/${PATH}", "/a;b", "/a`id`", "/a$(id)", "/a|b", "/a<b>", "/\x00", "/caf\xc3\xa9", "/\xff\xfe", "/%zz",
		"/" + strings.Repeat("a", HealthPathMax),
	} {
		if err := CheckHealthPath(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
