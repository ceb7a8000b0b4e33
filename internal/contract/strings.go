package contract

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrInvalidString is wrapped by every error of this package's checks of
// a string that an environment file hands to another program (HAProxy,
// PowerDNS, Prometheus, PostgreSQL, AWS): the string cannot be written
// there as it is, and nothing escapes it into something else.
var ErrInvalidString = errors.New("invalid string")

// StringError says why a string cannot be written where it goes; it
// wraps ErrInvalidString.
type StringError struct {
	Reason string
}

func (e *StringError) Error() string { return e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidString) hold.
func (e *StringError) Unwrap() error { return ErrInvalidString }

func invalid(format string, args ...any) error {
	return &StringError{Reason: fmt.Sprintf(format, args...)}
}

// NameMax is the longest environment, region (local target), service or
// layer name.
const NameMax = 32

// name is an environment, region, service or layer name. It is written
// into stack names (<env>.<region>), folder and file names, HAProxy
// section names, Prometheus label values and PromQL strings, PowerDNS and
// PostgreSQL configuration (a PostgreSQL identifier once its dashes are
// underscores), and AWS names and tags, so it holds what the strictest of
// them takes: letters, digits and hyphens, starting with a letter and not
// ending with a hyphen, as a DNS label (RFC 1035, section 2.3.1) and an
// RDS identifier
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html);
// at most 32 characters, an ELB target group name's limit
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html).
// Lower-case only: DNS and S3 bucket names fold or refuse upper case.
var name = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$`)

// CheckName says why s cannot name an environment, region, service or
// layer (nil when it can).
func CheckName(s string) error {
	if !name.MatchString(s) {
		return invalid("names are 1-%d lower-case letters, digits and dashes, starting with a letter and ending with a letter or digit; not %q", NameMax, truncate(s))
	}
	return nil
}

// DNS limits (RFC 1035, section 2.3.4; Route 53 states the same in
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html):
// a label has at most 63 octets, a name at most 255 on the wire, which is
// 253 characters written with dots and without the final one.
const (
	DNSLabelMax = 63
	DNSNameMax  = 253
)

// dnsLabel is a host name label (RFC 1123, section 2.1: a digit may come
// first), lower case: letters, digits and inner hyphens.
var dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// CheckDNSLabel says why s cannot be a record's label in its zone (nil
// when it can); "@" is the zone's apex.
func CheckDNSLabel(s string) error {
	if s == "@" {
		return nil
	}
	if len(s) > DNSLabelMax || !dnsLabel.MatchString(s) {
		return invalid("a DNS label is 1-%d lower-case letters, digits and inner dashes (or @ for the zone's apex); not %q", DNSLabelMax, truncate(s))
	}
	return nil
}

// CheckDNSName says why s cannot be a DNS zone or a fully qualified name
// (nil when it can): lower-case labels separated by dots, no trailing dot,
// at most 253 characters. It is written into PowerDNS's zone files and
// LUA records, the blackbox exporter's queries and Route 53.
func CheckDNSName(s string) error {
	if len(s) > DNSNameMax {
		return invalid("a DNS name has at most %d characters, not %d", DNSNameMax, len(s))
	}
	for _, l := range strings.Split(s, ".") {
		if len(l) > DNSLabelMax || !dnsLabel.MatchString(l) {
			return invalid("a DNS name is lower-case labels of 1-%d letters, digits and inner dashes, separated by dots, without a trailing dot; not %q", DNSLabelMax, truncate(s))
		}
	}
	return nil
}

// truncate shortens a refused string for a message: a 10,000-character
// value is named by its beginning.
func truncate(s string) string {
	const keep = 80
	if len(s) <= keep {
		return s
	}
	return s[:keep] + "..."
}
