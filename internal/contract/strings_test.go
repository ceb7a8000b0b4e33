package contract

import (
	"errors"
	"strings"
	"testing"
)

// Strings a careless or hostile environment file could give, each refused
// by the check of the place it goes, beside ordinary ones accepted.
func TestStringChecks(t *testing.T) {
	hostile := []string{
		"", " shop", "shop ", "Shop", "sh op", "shop\n", "shop\r", "sh\x00op", `sh"op`, "sh'op", `sh\op`,
		"a]]b", "a')os.execute('id')--", "a'..x..'b", "a#b", "x\n  server evil 10.0.0.1:80", "$(rm -rf /)",
		"`id`", "a;b", "caf\xc3\xa9", "\xff\xfe", "{{ $labels }}", "${path}", "a/b", "..", "a_b",
	}
	checks := []struct {
		name   string
		check  func(string) error
		ok     []string
		refuse []string
	}{
		{"CheckName", CheckName,
			[]string{"a", "dev", "us-east-1", "shop-2", strings.Repeat("a", NameMax)},
			append([]string{"1dev", "-dev", "dev-", "a.b", strings.Repeat("a", NameMax+1)}, hostile...)},
		{"CheckDNSLabel", CheckDNSLabel,
			[]string{"@", "www", "0", "a-b", strings.Repeat("a", DNSLabelMax)},
			append([]string{"-a", "a-", "a.b", "@@", strings.Repeat("a", DNSLabelMax+1)}, hostile...)},
		{"CheckDNSName", CheckDNSName,
			[]string{"test", "shop.test", "www.shop.example.com", "0.example", strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)},
			append([]string{"shop.test.", ".shop", "a..b", "-a.test", "a-.test", strings.Repeat("a", 64) + ".test",
				strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 62)}, hostile...)},
	}
	for _, c := range checks {
		for _, s := range c.ok {
			if err := c.check(s); err != nil {
				t.Errorf("%s(%q) refused: %v", c.name, s, err)
			}
		}
		for _, s := range c.refuse {
			err := c.check(s)
			if err == nil {
				t.Errorf("%s(%q) accepted", c.name, s)
				continue
			}
			var se *StringError
			if !errors.Is(err, ErrInvalidString) || !errors.As(err, &se) {
				t.Errorf("%s(%q) = %v, not an ErrInvalidString *StringError", c.name, s, err)
			}
		}
	}
}

// A refused 10,000-character string is named by its beginning, not whole.
func TestRefusalsNameLongStringsShortly(t *testing.T) {
	err := CheckName(strings.Repeat("A", 10000))
	if err == nil {
		t.Fatal("a 10,000-character name accepted")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error of %d characters: %.100v", len(err.Error()), err)
	}
	if err := CheckHealthPath("/" + strings.Repeat("a", HealthPathMax)); !errors.Is(err, ErrInvalidString) {
		t.Errorf("CheckHealthPath's error %v does not wrap ErrInvalidString", err)
	}
}
