package contract

import "regexp"

// HealthPathMax is the longest health-check path any configuration is
// given (HAProxy reads lines of up to 2048 characters). AWS allows less:
// Route 53 takes 255 characters, which internal/awsconstraints checks on
// an aws plan, citing its page.
const HealthPathMax = 1024

// healthPath is what a health-check path may hold: an absolute path of
// unreserved characters (RFC 3986) and percent-escapes, and a query of
// the same with = and &. Nothing else reaches the programs it is written
// into (HAProxy's `option httpchk`, a PowerDNS LUA string, Route 53, an
// ALB target group): no quote, space, backslash, parenthesis, brace,
// #, control or non-ASCII character.
var healthPath = regexp.MustCompile(`^/(?:[A-Za-z0-9._~/-]|%[0-9A-Fa-f]{2})*(?:\?(?:[A-Za-z0-9._~/=&-]|%[0-9A-Fa-f]{2})*)?$`)

// CheckHealthPath says why a health-check path cannot be written into the
// programs that check it (nil when it can); the error wraps
// ErrInvalidString.
func CheckHealthPath(p string) error {
	switch {
	case len(p) > HealthPathMax:
		return invalid("a health check path has at most %d characters, not %d", HealthPathMax, len(p))
	case !healthPath.MatchString(p):
		return invalid("a health check path starts with / and holds only letters, digits, - . _ ~ / and %%XX escapes, and a query of the same with = and &; not %q", truncate(p))
	}
	return nil
}
